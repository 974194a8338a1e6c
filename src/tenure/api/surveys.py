"""/api/v1/surveys: surveys with their custom questions and translations, sending one, its sends
with their response rates, its results and the trends.

Every role reads surveys (the business's settings) and their figures over the customers it
sees (a success manager: their book's rates, scores and answers); admins and managers make,
change and send them (403 otherwise). A send is keyed: the same survey sent to the same
customer on the same day (or ``occurrence``) invites once, and a POST retried with its
``Idempotency-Key`` returns the first answer. Scores carry their 95 % interval
(``tenure.analytics.feedback``); trends are ``tenure.feedback.trend_selectors``'.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tenure.access import require_all
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback import SurveyScore
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.segment_scope import in_segment_query, within
from tenure.api.types import RecordId
from tenure.domain.access import Action
from tenure.feedback import questions as question_services
from tenure.feedback.models import QuestionKind, Survey, SurveyKind
from tenure.feedback.question_selectors import question_results
from tenure.feedback.survey_selectors import Rate, survey_row, survey_rows, survey_send_rows
from tenure.feedback.surveys import SURVEYS_WHY, survey_create, survey_delete, survey_update
from tenure.feedback.trend_selectors import survey_trend_groups, trend_query
from tenure.segments.selectors import segment_chosen, segment_members
from tenure.surveys.sending import Recipient, survey_send

router = Router(tags=["surveys"])
MAX_RECIPIENTS = 10_000


# --- schemas -----------------------------------------------------------------------------------


class SurveyIn(Input):
    name: str = Field(..., max_length=120)
    kind: SurveyKind
    question: str = Field(..., max_length=500)
    follow_up: str = Field("", max_length=500, description="an optional free-text question")
    language: str = Field("", max_length=10, description="the survey's own language (e.g. de)")
    valid_days: int = Field(30, ge=1, le=365, description="days an invitation's link is valid")
    active: bool = True
    review_url: str = Field("", max_length=200, description="offered to promoters")
    referral_url: str = Field("", max_length=200, description="a promoter's link adds ?ref=")


class SurveyPatch(Input):
    name: str | None = Field(None, max_length=120)
    question: str | None = Field(None, max_length=500)
    follow_up: str | None = Field(None, max_length=500)
    language: str | None = Field(None, max_length=10)
    valid_days: int | None = Field(None, ge=1, le=365)
    active: bool | None = None
    review_url: str | None = Field(None, max_length=200)
    referral_url: str | None = Field(None, max_length=200)


class RateOut(Schema):
    invited: int
    answered: int
    rate: float | None = Field(description="answered over invited, 0-1")


class SurveyScoreOut(Schema):
    kind: str
    n: int
    score: float | None = Field(description="NPS -100..100; CSAT and CES: % positive")
    low: float | None
    high: float | None
    confidence: float
    standard_error: float | None
    mean: float | None
    counts: dict[str, int] = Field(description="answers per band")
    few_answers: bool


class QuestionIn(Input):
    kind: QuestionKind
    text: str = Field(..., max_length=500)
    required: bool = False
    scale_min: int | None = Field(None, description="a scale's lowest answer, 0-9")
    scale_max: int | None = Field(None, description="a scale's highest answer, 1-10")
    low_label: str = Field("", max_length=80)
    high_label: str = Field("", max_length=80)
    options: list[str] = Field(default_factory=list, description="a choice's 2-20 options")
    multiple: bool = Field(False, description="several options may be chosen")


class QuestionOut(Schema):
    id: int
    position: int
    field: str = Field(description="its answer's name: q1, q2, ...")
    kind: str
    text: str
    required: bool
    scale_min: int | None
    scale_max: int | None
    low_label: str
    high_label: str
    options: list[str]
    multiple: bool


class TranslationIn(Input):
    question: str = Field(..., max_length=500)
    follow_up: str = Field("", max_length=500)
    questions: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='by position: {"1": {"text": ..., "options": [...], "low_label": ...}}',
    )


class TranslationOut(Schema):
    language: str
    question: str
    follow_up: str
    questions: dict[str, Any]
    updated_at: datetime


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    question: str
    follow_up: str
    language: str
    valid_days: int
    active: bool
    review_url: str
    referral_url: str
    created_at: datetime


class SurveyRowOut(SurveyOut):
    response: RateOut
    score: SurveyScoreOut


class SurveyDetailOut(SurveyRowOut):
    questions: list[QuestionOut]
    translations: list[TranslationOut]


class RecipientIn(Input):
    customer_id: RecordId
    contact_id: RecordId | None = Field(None, description="the person answering for the account")
    order_id: RecordId | None = Field(None, description="the order (project) asked about")


class SendIn(Input):
    segment: str | None = Field(None, max_length=100, description="a segment's id or slug")
    customer_ids: list[RecordId] | None = Field(None, max_length=MAX_RECIPIENTS)
    recipients: list[RecipientIn] | None = Field(
        None, max_length=MAX_RECIPIENTS, description="customers with a contact or an order each"
    )
    occurrence: str | None = Field(
        None, max_length=100, description="tells sends apart (default: today: once a day)"
    )
    language: str = Field("", max_length=10, description="default: each customer's own")


class SendOut(Schema):
    send_id: int
    invited: int = Field(description="invitations made now")
    already: int = Field(description="invited before with the same key: not again")
    skipped: dict[str, int] = Field(description="customers not invited, by reason")


class SendRowOut(Schema):
    id: int
    key: str
    source: str
    created_at: datetime
    created_by_id: int | None
    skipped: int
    response: RateOut


class OptionOut(Schema):
    index: int
    text: str
    count: int
    share: float | None
    low: float | None
    high: float | None


class QuestionResultOut(Schema):
    question_id: int
    field: str
    kind: str
    text: str
    n: int
    mean: float | None = Field(None, description="a scale's mean, with its 95 % t interval")
    low: float | None = None
    high: float | None = None
    values: list[tuple[int, int]] = Field(default_factory=list, description="(value, count)")
    options: list[OptionOut] = Field(default_factory=list, description="Wilson 95 % intervals")
    texts: list[str] = Field(default_factory=list, description="the latest free-text answers")


class SurveyResultsOut(Schema):
    survey_id: int
    response: RateOut
    score: SurveyScoreOut
    questions: list[QuestionResultOut]


class TrendPointOut(Schema):
    period: date
    partial: bool
    n: int
    score: float | None
    low: float | None
    high: float | None
    few_answers: bool
    invited: int
    responded: int
    response_rate: float | None
    change: float | None


class TrendGroupOut(Schema):
    key: str
    label: str
    latest: TrendPointOut
    points: list[TrendPointOut]


class TrendsOut(Schema):
    kind: str
    by: str
    period: str
    total: int = Field(description="groups in all; at most 200 are listed")
    groups: list[TrendGroupOut]


class TrendsQuery(QueryInput):
    kind: Literal["nps", "csat", "ces"] = "nps"
    by: Literal["account", "person", "project", "owner", "segment"] = "account"
    period: Literal["week", "month", "quarter"] = "month"


# --- helpers -----------------------------------------------------------------------------------


def _rate(rate: Rate) -> dict[str, Any]:
    return {"invited": rate.invited, "answered": rate.answered, "rate": rate.rate}


def _score(score: SurveyScore) -> dict[str, Any]:
    return {**{k: getattr(score, k) for k in SurveyScoreOut.model_fields if k != "counts"},
            "counts": score.counts}  # fmt: skip


def _survey(survey_id: int) -> Survey:
    from django.http import Http404

    found = Survey.objects.filter(pk=survey_id).first()
    if found is None:
        raise Http404("no such survey")
    return found


def _detail(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    row = survey_row(user=caller(request), survey=survey)
    return {
        **SurveyOut.from_orm(survey).model_dump(),
        "response": _rate(row.rate),
        "score": _score(row.score),
        "questions": [
            {**QuestionOut.from_orm(q).model_dump(), "field": q.field}
            for q in survey.questions.all()
        ],
        "translations": list(survey.translations.all()),
    }


# --- surveys -----------------------------------------------------------------------------------


@router.get(
    "/surveys/trends",
    response={200: TrendsOut, **ERROR_RESPONSES},
    summary="NPS, CSAT or CES per group and period, with intervals and response rates",
)
def survey_trends(
    request: HttpRequest, query: Query[TrendsQuery], in_segment: int | None = in_segment_query()
) -> dict[str, Any]:
    chosen = trend_query(kind=query.kind, by=query.by, period=query.period)
    groups, total = survey_trend_groups(
        user=caller(request), query=chosen, now=timezone.now(), within=within(request, in_segment)
    )
    return {"kind": chosen.kind, "by": chosen.by, "period": chosen.period, "total": total,
            "groups": groups}  # fmt: skip


@router.get(
    "/surveys",
    response={200: Page[SurveyRowOut], **ERROR_RESPONSES},
    summary="The surveys, each with its response rate and score",
)
def survey_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    page = paginate(Survey.objects.all(), cursor=cursor, limit=limit)
    rows = {row.survey.pk: row for row in survey_rows(user=caller(request))}
    page["items"] = [
        {**SurveyOut.from_orm(s).model_dump(), "response": _rate(rows[s.pk].rate),
         "score": _score(rows[s.pk].score)}
        for s in page["items"]
    ]  # fmt: skip
    return page


@router.post(
    "/surveys",
    response={201: SurveyDetailOut, **ERROR_RESPONSES},
    summary="Make a survey (admins, managers)",
)
def survey_make(request: HttpRequest, payload: SurveyIn) -> Status:
    made = survey_create(by=caller(request), **payload.model_dump())
    return Status(201, _detail(request, made))


@router.get(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **ERROR_RESPONSES},
    summary="A survey with its questions, translations, rate and score",
)
def survey_read(request: HttpRequest, survey_id: RecordId) -> dict[str, Any]:
    return _detail(request, _survey(survey_id))


@router.patch(
    "/surveys/{survey_id}",
    response={200: SurveyDetailOut, **ERROR_RESPONSES},
    summary="Change a survey's wording, links, validity or whether it is open",
)
def survey_change(request: HttpRequest, survey_id: RecordId, payload: SurveyPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    found = _survey(survey_id)
    changed = survey_update(by=caller(request), survey_id=found.pk, changes=changes)
    return _detail(request, changed)


@router.delete(
    "/surveys/{survey_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a survey never sent (409 once sent: switch it off)",
)
def survey_remove(request: HttpRequest, survey_id: RecordId) -> Status:
    by = caller(request)
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    survey_delete(by=by, survey_id=_survey(survey_id).pk)
    return Status(204, None)


# --- questions and translations ----------------------------------------------------------------


@router.post(
    "/surveys/{survey_id}/questions",
    response={201: QuestionOut, **ERROR_RESPONSES},
    summary="Add a custom question (scale, choice, free text) at the end",
)
def question_add(request: HttpRequest, survey_id: RecordId, payload: QuestionIn) -> Status:
    found = _survey(survey_id)
    made = question_services.survey_question_add(
        by=caller(request), survey_id=found.pk, **payload.model_dump()
    )
    return Status(201, {**QuestionOut.from_orm(made).model_dump(), "field": made.field})


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a custom question nobody answered (422 once answered)",
)
def question_remove(request: HttpRequest, survey_id: RecordId, question_id: RecordId) -> Status:
    from django.http import Http404

    found = _survey(survey_id)
    by = caller(request)
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    if not found.questions.filter(pk=question_id).exists():
        raise Http404("no such question")
    question_services.survey_question_delete(by=by, question_id=question_id)
    return Status(204, None)


@router.put(
    "/surveys/{survey_id}/translations/{language}",
    response={200: TranslationOut, **ERROR_RESPONSES},
    summary="Save the survey's texts in a language (every text needed)",
)
def translation_put(
    request: HttpRequest, survey_id: RecordId, language: str, payload: TranslationIn
) -> Any:
    found = _survey(survey_id)
    return question_services.survey_translation_save(
        by=caller(request), survey_id=found.pk, language=language[:20],
        texts=payload.model_dump(),
    )  # fmt: skip


@router.delete(
    "/surveys/{survey_id}/translations/{language}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a translation",
)
def translation_remove(request: HttpRequest, survey_id: RecordId, language: str) -> Status:
    found = _survey(survey_id)
    question_services.survey_translation_delete(
        by=caller(request), survey_id=found.pk, language=language[:20]
    )
    return Status(204, None)


# --- sending and figures -----------------------------------------------------------------------


def _audience(request: HttpRequest, payload: SendIn) -> tuple[list[int], dict[int, Recipient]]:
    given = [payload.segment is not None, payload.customer_ids is not None,
             payload.recipients is not None]  # fmt: skip
    if sum(given) != 1:
        raise InvalidInputError("segment", "give one of segment, customer_ids or recipients")
    if payload.segment is not None:
        chosen = segment_chosen(user=caller(request), ref=payload.segment, field="segment")
        members = segment_members(user=caller(request), segment=chosen)
        return list(members.values_list("pk", flat=True)), {}
    if payload.customer_ids is not None:
        return list(payload.customer_ids), {}
    recipients = payload.recipients or []
    return [r.customer_id for r in recipients], {
        r.customer_id: Recipient(r.contact_id, r.order_id) for r in recipients
    }


@router.post(
    "/surveys/{survey_id}/send",
    response={200: SendOut, **ERROR_RESPONSES},
    summary="Invite a segment's members or customers by email",
)
def survey_send_now(request: HttpRequest, survey_id: RecordId, payload: SendIn) -> dict[str, Any]:
    by = caller(request)
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    found = _survey(survey_id)
    ids, recipients = _audience(request, payload)
    result = survey_send(
        by=by, survey_id=found.pk, customer_ids=ids, now=timezone.now(), source="api",
        occurrence=payload.occurrence or None, language=payload.language,
        recipients=recipients,
    )  # fmt: skip
    return {"send_id": result.send.pk, "invited": result.invited, "already": result.already,
            "skipped": dict(result.skipped)}  # fmt: skip


@router.get(
    "/surveys/{survey_id}/sends",
    response={200: list[SendRowOut], **ERROR_RESPONSES},
    summary="The survey's sends, newest first, with their response rates",
)
def survey_sends(request: HttpRequest, survey_id: RecordId) -> list[dict[str, Any]]:
    rows = survey_send_rows(user=caller(request), survey=_survey(survey_id))
    return [
        {"id": r.send.pk, "key": r.send.key, "source": r.send.source,
         "created_at": r.send.created_at, "created_by_id": r.send.created_by_id,
         "skipped": r.send.skipped, "response": _rate(r.rate)}
        for r in rows
    ]  # fmt: skip


@router.get(
    "/surveys/{survey_id}/results",
    response={200: SurveyResultsOut, **ERROR_RESPONSES},
    summary="The survey's score with its interval and its questions' results",
)
def survey_results(request: HttpRequest, survey_id: RecordId) -> dict[str, Any]:
    found = _survey(survey_id)
    user = caller(request)
    row = survey_row(user=user, survey=found)
    questions = [
        {"question_id": r.question.pk, "field": r.question.field, "kind": r.question.kind,
         "text": r.question.text, "n": r.n, "mean": r.mean, "low": r.low, "high": r.high,
         "values": r.values, "options": [o.__dict__ for o in r.options], "texts": r.texts}
        for r in question_results(user=user, survey=found)
    ]  # fmt: skip
    return {"survey_id": found.pk, "response": _rate(row.rate), "score": _score(row.score),
            "questions": questions}  # fmt: skip
