"""The pages of other voices: the list of comments and reviews (``/feedback/voices/``, through
``VoiceFilterSet`` as the API's list), one voice with "attach to a customer", the feedback forms
(``/feedback/forms/``: every role reads them, admins and managers make and change them) and the
free-text search over survey comments and voices (``/feedback/search/``). Writes go through
``tenure.voices.services``; a success manager reaches their book's voices only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import get_visible_or_404, may, require_all, sees_all
from tenure.domain.access import Action
from tenure.voices.filters import VoiceFilterSet
from tenure.voices.models import FeedbackForm, SourceKind, Voice
from tenure.voices.search import KINDS, QUERY_MAX, free_text_search
from tenure.voices.selectors import (
    feedback_forms,
    form_answers_count,
    voice_list,
    voice_sources,
)
from tenure.voices.services import FORMS_WHY, customer_by_email, feedback_form_save, voice_update
from tenure.web.views._records import changeable, changer
from tenure.web.views._render import signed_in_user
from tenure.web.views.filtering import filtered_page

MATCHED = [("true", "Matched to a customer"), ("false", "Not matched")]
FORM_TEXTS = ("slug", "title", "intro", "question", "rating_question")


@login_required
@require_GET
def voices(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    found = filtered_page(request, VoiceFilterSet.of(user, request.GET), voice_list)
    context = {
        "filters": found.values,
        "filter_errors": found.errors,
        "page": found.page,
        "kinds": SourceKind.choices,
        "sources": [(name, name) for name in voice_sources(user=user)],
        "matched_choices": MATCHED,
        "section": "voices",
    }
    return render(request, "web/voices/list.html", context, status=found.status)


def _detail(request: HttpRequest, voice: Voice, error: str = "", status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "voice": voice,
        "may_attach": may(user, Action.CHANGE),
        "error": error,
        "asked": request.POST.get("customer", "")[:254],
        "section": "voices",
    }
    return render(request, "web/voices/detail.html", context, status=status)


@login_required
@require_GET
def voice(request: HttpRequest, voice_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = get_visible_or_404(
        user, Voice.objects.select_related("customer", "account", "form"), pk=voice_id
    )
    return _detail(request, found)


def _customer_id(user: Any, asked: str) -> int:
    """The customer named on the attach form: an id, or an email one customer has."""
    if asked.isdigit() and len(asked) < 19:
        return int(asked)
    if "@" in asked:
        customer = customer_by_email(user, asked)
        if customer is not None:
            return customer.pk
    raise ValidationError(
        {"customer_id": ["a customer's id, or the email of one of your customers"]}
    )


@login_required
@require_POST
def voice_attach(request: HttpRequest, voice_id: int) -> HttpResponse:
    user = changer(request)
    found = changeable(user, Voice.objects.select_related("customer", "account"), voice_id)
    asked = request.POST.get("customer", "").strip()
    try:
        voice_update(by=user, voice_id=found.pk, changes={"customer_id": _customer_id(user, asked)})
    except ValidationError as refused:
        return _detail(request, found, " ".join(refused.messages), 422)
    messages.success(request, "The voice is attached to the customer.")
    return redirect("web:voice", voice_id=found.pk)


def _form_changes(request: HttpRequest) -> dict[str, Any]:
    changes: dict[str, Any] = {name: request.POST.get(name, "") for name in FORM_TEXTS}
    changes["ask_email"] = request.POST.get("ask_email") == "on"
    changes["active"] = request.POST.get("active") == "on"
    scale = request.POST.get("rating_scale", "").strip() or "5"
    if not (scale.isdigit() and len(scale) < 3):
        raise ValidationError({"rating_scale": ["the highest rating, 2 to 10"]})
    changes["rating_scale"] = int(scale)
    return changes


@login_required
@require_http_methods(["GET", "POST"])
def forms(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {"rating_scale": 5, "ask_email": True, "active": True}
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=FORMS_WHY)
        fields = {**request.POST.dict(), "ask_email": request.POST.get("ask_email") == "on"}
        try:
            made = feedback_form_save(by=user, changes=_form_changes(request))
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, f"Feedback form “{made.title}” saved: /f/{made.slug}/")
            return redirect("web:feedback-form", form_id=made.pk)
    context = {
        "forms": feedback_forms(user=user),
        "fields": fields,
        "errors": errors,
        "may_change": sees_all(user, Action.CHANGE),
        "section": "voices",
    }
    return render(request, "web/voices/forms.html", context, status=422 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, form_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = get_object_or_404(FeedbackForm, pk=form_id)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {
        **{name: getattr(found, name) for name in FORM_TEXTS},
        "rating_scale": found.rating_scale, "ask_email": found.ask_email, "active": found.active,
    }  # fmt: skip
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=FORMS_WHY)
        fields = {**request.POST.dict(), "ask_email": request.POST.get("ask_email") == "on",
                  "active": request.POST.get("active") == "on"}  # fmt: skip
        try:
            feedback_form_save(by=user, form_id=found.pk, changes=_form_changes(request))
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, "Feedback form saved.")
            return redirect("web:feedback-form", form_id=found.pk)
    context = {
        "form": found,
        "fields": fields,
        "errors": errors,
        "answers": form_answers_count(found, user=user),
        "may_change": sees_all(user, Action.CHANGE),
        "section": "voices",
    }
    return render(request, "web/voices/form_edit.html", context, status=422 if errors else 200)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    query = request.GET.get("q", "")[:QUERY_MAX]
    kind = request.GET.get("kind", "")
    raw_page = request.GET.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 4 else 1
    found = free_text_search(
        user=user, query=query, kinds=[kind] if kind in KINDS else None, page=number
    )
    context = {
        "query": query,
        "kind": kind if kind in KINDS else "",
        "kinds": list(KINDS.items()),
        "found": found,
        "section": "voices",
    }
    return render(request, "web/voices/search.html", context)
