"""The Surveys pages: every survey with its response rate and score (NPS, CSAT or CES with its
interval), a form to make one, and one survey's sends with a form to send it to a segment or
to customers by id. Every role reads them (counted over its own book); admins and managers
make and send surveys (``tenure.feedback.surveys``, ``tenure.surveys.sending``)."""

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
from tenure.feedback.models import Survey, SurveyKind
from tenure.feedback.survey_selectors import survey_row, survey_rows, survey_send_rows
from tenure.feedback.surveys import SURVEYS_WHY, survey_create
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
