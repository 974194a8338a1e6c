"""The Surveys pages: every survey with its response rate and score (NPS, CSAT or CES with its
interval), a form to make one, and one survey's sends with a form to send it to a segment or
to customers by id. Every role reads them (counted over its own book); admins and managers
make and send surveys (``tenure.feedback.surveys``, ``tenure.surveys.sending``).

A survey's page also shows its custom questions with their results (a scale's mean, a choice's
shares, each with its interval; the latest free-text answers) and its translations; admins and
managers add and remove questions, save a language's texts and set the review and referral
links (``tenure.feedback.questions``): each form posts to its own URL and comes back to the
page with a message, its refusal naming the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenure.access import require_all
from tenure.analytics.errors import InvalidInputError
from tenure.domain.access import Action
from tenure.feedback.models import QuestionKind, Survey, SurveyKind, SurveyQuestion
from tenure.feedback.question_selectors import question_results
from tenure.feedback.questions import (
    survey_question_add,
    survey_question_delete,
    survey_translation_delete,
    survey_translation_save,
)
from tenure.feedback.survey_selectors import survey_row, survey_rows, survey_send_rows
from tenure.feedback.surveys import SURVEYS_WHY, survey_create, survey_update
from tenure.segments.selectors import segment_chosen, segment_list, segment_members
from tenure.surveys.sending import survey_send
from tenure.web.views._render import signed_in_user

FORM_FIELDS = ("name", "kind", "question", "follow_up", "language", "valid_days")


def _fields(request: HttpRequest) -> dict[str, Any]:
    fields: dict[str, Any] = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    days = fields.pop("valid_days")
    if days:
        if not (days.isdigit() and len(days) < 4):
            raise ValidationError({"valid_days": ["a whole number of days, 1 to 365"]})
        fields["valid_days"] = int(days)
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {"kind": SurveyKind.NPS, "valid_days": 30}
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=SURVEYS_WHY)
        fields = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        try:
            made = survey_create(by=user, **_fields(request))
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, f"Survey “{made.name}” saved.")
            return redirect("web:survey", survey_id=made.pk)
    context = {
        "rows": survey_rows(user=user),
        "kinds": SurveyKind.choices,
        "fields": fields,
        "errors": errors,
        "section": "surveys",
    }
    return render(request, "web/surveys/list.html", context, status=422 if errors else 200)


def _survey(survey_id: int) -> Survey:
    found = Survey.objects.filter(pk=survey_id).first()
    if found is None:
        raise Http404("no such survey")
    return found


@login_required
@require_http_methods(["GET"])
def survey(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = _survey(survey_id)
    context = {
        "row": survey_row(user=user, survey=found),
        "sends": survey_send_rows(user=user, survey=found),
        "segments": segment_list(user=user),
        "results": question_results(user=user, survey=found),
        "translations": list(found.translations.all()),
        "question_kinds": QuestionKind.choices,
        "section": "surveys",
    }
    return render(request, "web/surveys/detail.html", context)


def _audience(request: HttpRequest, user: Any) -> list[int]:
    segment = request.POST.get("segment", "").strip()
    ids = request.POST.get("customers", "").replace(" ", "")
    if bool(segment) == bool(ids):
        raise ValidationError({"audience": ["choose a segment or give customer ids (one)"]})
    if segment:
        try:
            chosen = segment_chosen(user=user, ref=segment)
        except InvalidInputError as error:
            raise ValidationError({"segment": [str(error)]}) from None
        return list(segment_members(user=user, segment=chosen).values_list("pk", flat=True))
    parts = [part for part in ids.split(",") if part]
    if not all(part.isdigit() and len(part) < 19 for part in parts):
        raise ValidationError({"customers": ["customer ids separated by commas, e.g. 4,8,15"]})
    return [int(part) for part in parts]


@login_required
@require_POST
def survey_send_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    try:
        result = survey_send(
            by=user, survey_id=found.pk, customer_ids=_audience(request, user), now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{found.name}: {result.words()}.")
    return redirect("web:survey", survey_id=found.pk)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(
        request,
        "; ".join(f"{field}: {' '.join(words)}" for field, words in error.message_dict.items()),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@login_required
@require_POST
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The survey's review and referral links and whether it may be sent and answered."""
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    changes = {
        "review_url": request.POST.get("review_url", "").strip(),
        "referral_url": request.POST.get("referral_url", "").strip(),
        "active": request.POST.get("active") == "on",
    }
    try:
        survey_update(by=user, survey_id=found.pk, changes=changes)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Survey “{found.name}” saved.")
    return redirect("web:survey", survey_id=found.pk)


@login_required
@require_POST
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    post = request.POST
    try:
        survey_question_add(
            by=user, survey_id=found.pk, kind=post.get("kind", ""), text=post.get("text", ""),
            required=post.get("required") == "on", scale_min=post.get("scale_min", ""),
            scale_max=post.get("scale_max", ""), low_label=post.get("low_label", ""),
            high_label=post.get("high_label", ""), options=_lines(post.get("options", "")),
            multiple=post.get("multiple") == "on",
        )  # fmt: skip
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "Question added.")
    return redirect("web:survey", survey_id=found.pk)


@login_required
@require_POST
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    question = SurveyQuestion.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404("no such question")
    try:
        survey_question_delete(by=user, question_id=question.pk)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "Question removed.")
    return redirect("web:survey", survey_id=question.survey_id)


@login_required
@require_POST
def translation_save(request: HttpRequest, survey_id: int) -> HttpResponse:
    """A language's texts: the headline question, the follow-up, and per custom question
    (``q<position>_text``, ``_options`` one per line, ``_low_label``, ``_high_label``)."""
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    post = request.POST
    questions: dict[str, Any] = {}
    for question in found.questions.all():
        prefix = question.field
        entry: dict[str, Any] = {"text": post.get(f"{prefix}_text", "")}
        if question.kind == QuestionKind.CHOICE:
            entry["options"] = _lines(post.get(f"{prefix}_options", ""))
        for label in ("low_label", "high_label"):
            if getattr(question, label):
                entry[label] = post.get(f"{prefix}_{label}", "")
        questions[str(question.position)] = entry
    texts = {"question": post.get("question", ""), "follow_up": post.get("follow_up", ""),
             "questions": questions}  # fmt: skip
    try:
        saved = survey_translation_save(
            by=user, survey_id=found.pk, language=post.get("language", ""), texts=texts
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Translation “{saved.language}” saved.")
    return redirect("web:survey", survey_id=found.pk)


@login_required
@require_POST
def translation_delete(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    try:
        survey_translation_delete(
            by=user, survey_id=found.pk, language=request.POST.get("language", "")
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "Translation removed.")
    return redirect("web:survey", survey_id=found.pk)
