"""A public feedback form (``/f/<slug>/``): no login, reached by a link the business shares.

It shows the form's title, intro and questions and nothing else: no customer's data, and the
thank-you is the same whether the email given matched a customer or not. GET changes nothing;
the POST is CSRF-protected (the page sets its own token cookie) and carries a one-time
``submission`` id, so the same answer posted twice is one voice. A hidden honeypot field
(``website``), which people never see and bots fill in, gets the thank-you and stores nothing.
Requests are counted per address in Django's cache in a fixed window, as the survey page does,
and answers per address more tightly; past either the answer is 429.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from tenure.surveys.sending import business_name
from tenure.voices.models import FeedbackForm
from tenure.voices.services import form_answer_record
from tenure.web.rate_limits import client_address, counted

WINDOW_SECONDS = 600
PER_ADDRESS = 60  # requests of any kind
ANSWERS_PER_ADDRESS = 10
TEXT_MAX = 5000
HONEYPOT = "website"


def _over(key: str, limit: int) -> bool:
    return counted(key, WINDOW_SECONDS) > limit


def _limited(request: HttpRequest) -> bool:
    address = client_address(request)
    per_address = getattr(settings, "FEEDBACK_FORM_RATE_PER_ADDRESS", PER_ADDRESS)
    answers = getattr(settings, "FEEDBACK_FORM_ANSWERS_PER_ADDRESS", ANSWERS_PER_ADDRESS)
    over = _over(f"feedback-form-rate:ip:{address}", per_address)
    if request.method == "POST":
        over = _over(f"feedback-form-rate:answers:{address}", answers) or over
    return over


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("business", business_name())
    context.setdefault("language", "en")  # the public frame's language: the forms are in English
    return render(request, template, context, status=status)


def _answer(form: FeedbackForm, post: Any) -> tuple[str, int | None, str]:
    """The text, rating and email sent, checked (``ValidationError`` by field)."""
    errors: dict[str, list[str]] = {}
    text = post.get("text", "").strip()
    if not text:
        errors["text"] = ["Please write a few words."]
    elif len(text) > TEXT_MAX or "\x00" in text:
        errors["text"] = [f"Please keep it under {TEXT_MAX:,} characters."]
    rating = None
    raw = post.get("rating", "").strip()
    if form.rating_question and raw:
        if raw.isdigit() and 1 <= int(raw) <= form.rating_scale:
            rating = int(raw)
        else:
            errors["rating"] = [f"Choose a rating from 1 to {form.rating_scale}."]
    email = post.get("email", "").strip()[:254] if form.ask_email else ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["That does not look like an email address (name@example.com)."]
    if errors:
        raise ValidationError(errors)
    return text, rating, email


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def feedback_form_page(request: HttpRequest, slug: str) -> HttpResponse:
    if _limited(request):
        return _page(request, "web/surveys/public_refused.html", 429, title="Too many attempts",
                     words="Please wait a few minutes and try again.")  # fmt: skip
    form = FeedbackForm.objects.filter(slug=slug[:60], active=True).first()
    if form is None:
        return _page(request, "web/surveys/public_refused.html", 404, title="No such form",
                     words="This feedback form does not exist or is closed.")  # fmt: skip
    errors: dict[str, list[str]] = {}
    submission = request.POST.get("submission", "")
    if request.method == "POST":
        if request.POST.get(HONEYPOT):
            return _page(request, "web/voices/public_thanks.html", form=form)
        try:
            uuid.UUID(submission)
            text, rating, email = _answer(form, request.POST)
            form_answer_record(
                form=form, submission=submission, text=text, rating=rating, email=email,
                now=timezone.now(),
            )  # fmt: skip
        except ValueError:
            errors = {"text": ["Please send the form again from its page."]}
        except ValidationError as invalid:
            errors = (
                invalid.message_dict
                if hasattr(invalid, "error_dict")
                else {"text": invalid.messages}
            )
        else:
            return _page(request, "web/voices/public_thanks.html", form=form)
    return _page(
        request, "web/voices/public_form.html", 422 if errors else 200, form=form,
        errors=errors, scale=range(1, form.rating_scale + 1),
        text=request.POST.get("text", "")[:TEXT_MAX], email=request.POST.get("email", "")[:254],
        chosen=request.POST.get("rating", ""), submission=submission or str(uuid.uuid4()),
    )  # fmt: skip
