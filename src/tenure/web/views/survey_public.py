"""The survey answer page, reached by the signed link of an invitation email: no login.

It shows the survey's question and the business's name, nothing of the customer (a link may be
forwarded). GET changes nothing; the POST (CSRF-protected: the page sets its own token) records
the answer through ``tenure.surveys.answering.survey_answer``. A link tenure did not sign, an
expired one, one already answered or of a survey switched off gets a page saying so (404, 410,
409), naming no one. Requests are counted per address and per link in Django's cache in a
fixed window; past either limit the answer is 429.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from tenure.feedback.models import SCALES, Survey
from tenure.feedback.surveys import SurveyRefused, invitation_of_token
from tenure.surveys.answering import survey_answer
from tenure.surveys.sending import business_name

WINDOW_SECONDS = 600
PER_ADDRESS = 60
PER_LINK = 20
REFUSALS = {
    "invalid": (404, "This link does not work", "It may have been copied incompletely. Please "
                "use the link exactly as it came in the email."),
    "expired": (410, "This survey has closed", "The link was valid for a limited time, which "
                "has passed. Thank you all the same."),
    "answered": (409, "Already answered", "This link has been used to answer already: each "
                 "invitation counts once. Thank you for your answer."),
    "closed": (410, "This survey has closed", "It no longer takes answers. Thank you all the "
               "same."),
}  # fmt: skip
# The words at each end of a scale, read out with the first and last choice.
ENDS = {
    "nps": ("Not at all likely", "Extremely likely"),
    "csat": ("Very dissatisfied", "Very satisfied"),
    "ces": ("Strongly disagree", "Strongly agree"),
}


def _limited(request: HttpRequest, token: str) -> bool:
    """Count this request; whether its address or link is past its limit in the window."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    per_address = getattr(settings, "SURVEY_RATE_PER_ADDRESS", PER_ADDRESS)
    per_link = getattr(settings, "SURVEY_RATE_PER_LINK", PER_LINK)
    over = False
    for key, limit in ((f"survey-rate:ip:{address}", per_address),
                       (f"survey-rate:link:{token[:400]}", per_link)):  # fmt: skip
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.set(key, 1, WINDOW_SECONDS)
            count = 1
        over = over or count > limit
    return over


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("business", business_name())
    return render(request, f"web/surveys/{template}", context, status=status)


def _scale(survey: Survey) -> list[dict[str, Any]]:
    low, high = SCALES[survey.kind]
    first, last = ENDS[survey.kind]
    return [
        {"value": v, "end": first if v == low else last if v == high else ""}
        for v in range(low, high + 1)
    ]


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def survey_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    if _limited(request, token):
        return _page(request, "public_refused.html", 429, title="Too many attempts",
                     words="Please wait a few minutes and try again.")  # fmt: skip
    now = timezone.now()
    try:
        invitation = invitation_of_token(token, now=now)
    except SurveyRefused as refused:
        status, title, words = REFUSALS[refused.reason]
        return _page(request, "public_refused.html", status, title=title, words=words)
    survey = invitation.survey
    error = ""
    if request.method == "POST":
        try:
            survey_answer(
                token=token, score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""), now=now,
            )  # fmt: skip
        except SurveyRefused as refused:  # answered meanwhile in another tab
            status, title, words = REFUSALS[refused.reason]
            return _page(request, "public_refused.html", status, title=title, words=words)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        else:
            return _page(request, "public_thanks.html", survey=survey)
    return _page(
        request, "public_answer.html", 422 if error else 200, survey=survey,
        scale=_scale(survey), error=error, comment=request.POST.get("comment", "")[:5000],
        chosen=request.POST.get("score", ""),
    )  # fmt: skip
