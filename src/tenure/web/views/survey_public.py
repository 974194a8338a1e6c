"""The survey answer page, reached by the signed link of an invitation email: no login.

It shows the survey's question and the business's name, nothing of the customer (a link may be
forwarded), then the survey's custom questions (scale, choice, free text), in the invitation's
language when the survey has a translation in it, else in the survey's own with a note saying
so (``tenure.feedback.questions.survey_texts``; tenure's own words around them from
``tenure.surveys.words``). After a positive answer (an NPS promoter) the thank-you page offers
the survey's review link, if it has one. GET changes nothing; the POST (CSRF-protected: the
page sets its own token) records the answer through ``tenure.surveys.answering.survey_answer``.
A link tenure did not sign, an expired one, one already answered or of a survey switched off
gets a page saying so (404, 410, 409), naming no one. Requests are counted per address and per
link in Django's cache in a fixed window; past either limit the answer is 429.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from tenure.feedback.models import SCALES, QuestionKind, Survey
from tenure.feedback.questions import QuestionText, SurveyTexts, survey_texts
from tenure.feedback.surveys import SurveyRefused, invitation_of_token
from tenure.surveys.answering import survey_answer
from tenure.surveys.asking import answer_is_positive
from tenure.surveys.sending import business_name
from tenure.surveys.words import language_name, words
from tenure.web.rate_limits import client_address, over_limits

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


def _limited(request: HttpRequest, token: str) -> bool:
    """Count this request; whether its address or link is past its limit in the window."""
    return over_limits(
        [(f"survey-rate:ip:{client_address(request)}",
          getattr(settings, "SURVEY_RATE_PER_ADDRESS", PER_ADDRESS)),
         (f"survey-rate:link:{token[:400]}", getattr(settings, "SURVEY_RATE_PER_LINK", PER_LINK))],
        WINDOW_SECONDS,
    )  # fmt: skip


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("business", business_name())
    context.setdefault("language", "en")  # a refused link's page names no survey: English
    return render(request, f"web/surveys/{template}", context, status=status)


def _scale(low: int, high: int, ends: tuple[str, str]) -> list[dict[str, Any]]:
    first, last = ends
    return [
        {"value": v, "end": first if v == low else last if v == high else ""}
        for v in range(low, high + 1)
    ]


def _custom(texts: SurveyTexts, posted: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each custom question as the template draws it, with what was posted for it."""
    drawn = []
    for q in texts.questions:
        question = q.question
        chosen = posted.getlist(q.field) if posted is not None else []
        item: dict[str, Any] = {"field": q.field, "kind": question.kind, "text": q.text,
                                "required": question.required, "chosen": chosen,
                                "value": chosen[0][:5000] if chosen else "",
                                "errors": errors.get(q.field, [])}  # fmt: skip
        if question.kind == QuestionKind.SCALE:
            ends = (q.low_label, q.high_label)
            item["scale"] = _scale(question.scale_min or 0, question.scale_max or 0, ends)
            item["ends"] = ends
        elif question.kind == QuestionKind.CHOICE:
            item["multiple"] = question.multiple
            item["options"] = [{"value": str(k), "text": text} for k, text in enumerate(q.options)]
        drawn.append(item)
    return drawn


def _answers(texts: SurveyTexts, posted: Any) -> dict[str, Any]:
    def one(q: QuestionText) -> Any:
        if q.question.kind == QuestionKind.CHOICE and q.question.multiple:
            return posted.getlist(q.field)
        return posted.get(q.field, "")

    return {q.field: one(q) for q in texts.questions}


def _fallback(texts: SurveyTexts, said: dict[str, Any]) -> str:
    if not texts.fallback:
        return ""
    return str(said["fallback"]).format(
        wanted=language_name(texts.wanted), shown=language_name(texts.language)
    )


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
        status, title, words_ = REFUSALS[refused.reason]
        return _page(request, "public_refused.html", status, title=title, words=words_)
    survey: Survey = invitation.survey
    texts = survey_texts(survey, invitation.language)
    said = words(texts.language)
    errors: dict[str, list[str]] = {}
    posted = request.POST if request.method == "POST" else None
    if posted is not None:
        try:
            answered = survey_answer(
                token=token, score=posted.get("score", ""), comment=posted.get("comment", ""),
                now=now, answers=_answers(texts, posted),
            )  # fmt: skip
        except SurveyRefused as refused:  # answered meanwhile in another tab
            status, title, words_ = REFUSALS[refused.reason]
            return _page(request, "public_refused.html", status, title=title, words=words_)
        except ValidationError as invalid:
            errors = invalid.message_dict
        else:
            answer = answered.answer
            positive = answer_is_positive(answer.kind, answer.score)
            review_url = survey.review_url if positive else ""
            return _page(
                request, "public_thanks.html", survey=survey, said=said,
                language=texts.language, review_url=review_url,
            )  # fmt: skip
    if texts.language != "en":  # the services' reasons are in English: say it in the page's words
        errors = {field: [str(said["check"])] for field in errors}
    low, high = SCALES[survey.kind]
    return _page(
        request, "public_answer.html", 422 if errors else 200, survey=survey, texts=texts,
        said=said, language=texts.language, fallback=_fallback(texts, said),
        scale=_scale(low, high, said["ends"][survey.kind]), errors=errors,
        error=" ".join(m for field in ("score", "comment") for m in errors.get(field, [])),
        comment=posted.get("comment", "")[:5000] if posted else "",
        chosen=posted.get("score", "") if posted else "",
        custom=_custom(texts, posted, errors),
    )  # fmt: skip
