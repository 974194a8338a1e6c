"""/api/v1/survey-responses and /api/v1/referrals: what customers answer and whom they bring.

Referrals follow the CRUD recipe (``crud.py``). Survey answers are recorded or deleted, never
edited (an answer is what the customer said), so they have no PATCH and their endpoints are
written out here, with the recipe's names, pagination, errors and history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.api.auth import caller
from tenure.api.crud import HistoryEntryOut, Resource, add_crud
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.feedback import services
from tenure.feedback.filters import ReferralFilterSet, SurveyResponseFilterSet
from tenure.feedback.models import Referral, ReferralStatus, SurveyKind, SurveyResponse
from tenure.history.selectors import history_entry_view, history_of

router = Router(tags=["feedback"])

# --- survey answers ----------------------------------------------------------------------------


class SurveyResponseIn(Input):
    customer_id: RecordId
    kind: SurveyKind
    score: int = Field(ge=0, le=10, description="NPS: 0 to 10; CSAT: 1 to 5")
    answered_at: datetime
    comment: str = ""
    channel: str = Field("", max_length=40, description="e.g. email, in-app, phone")
    order_id: RecordId | None = Field(None, description="the customer's order the answer is about")
    interaction_id: RecordId | None = Field(None, description="the conversation it is about")
    external_id: str = Field(
        "", max_length=100, description="the survey tool's id: a second answer with it is refused"
    )


class SurveyResponseOut(Schema):
    id: int
    customer_id: int
    kind: str
    score: int
    comment: str
    answered_at: datetime
    channel: str
    order_id: int | None
    interaction_id: int | None
    external_id: str
    created_at: datetime


class SurveyResponseFilters(QueryInput):
    customer_id: RecordId | None = None
    kind: SurveyKind | None = None
    answered_after: datetime | None = Field(None, description="answered at or after")
    answered_before: datetime | None = Field(None, description="answered before")
    latest: bool = Field(
        False, description="only each customer's latest answer of each kind (of those selected)"
    )


@router.get(
    "/survey-responses",
    response={200: Page[SurveyResponseOut], **ERROR_RESPONSES},
    summary="List survey responses",
    operation_id="list_survey_responses",
)
def list_survey_responses(
    request: HttpRequest,
    filters: Query[SurveyResponseFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = SurveyResponseFilterSet.of(request.user, filter_values(filters))
    return paginate(chosen.filtered(), cursor=cursor, limit=limit)


@router.post(
    "/survey-responses",
    response={201: SurveyResponseOut, **ERROR_RESPONSES},
    summary="Record an NPS or CSAT answer",
    operation_id="create_survey_response",
)
def create_survey_response(request: HttpRequest, payload: SurveyResponseIn) -> Status:
    answer = services.survey_response_create(
        by=caller(request), **{name: getattr(payload, name) for name in type(payload).model_fields}
    )
    return Status(201, answer)


@router.get(
    "/survey-responses/{record_id}",
    response={200: SurveyResponseOut, **ERROR_RESPONSES},
    summary="One survey response",
    operation_id="get_survey_response",
)
def get_survey_response(request: HttpRequest, record_id: RecordId) -> SurveyResponse:
    return get_visible_or_404(request.user, SurveyResponse, pk=record_id)


@router.delete(
    "/survey-responses/{record_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a survey response recorded by mistake",
    operation_id="delete_survey_response",
)
def delete_survey_response(request: HttpRequest, record_id: RecordId) -> Status:
    services.survey_response_delete(by=caller(request), survey_response_id=record_id)
    return Status(204, None)


@router.get(
    "/survey-responses/{record_id}/history",
    response={200: list[HistoryEntryOut], **ERROR_RESPONSES},
    summary="Every change of a survey response: who, when, fields before and after",
    operation_id="history_survey_response",
)
def survey_response_history(request: HttpRequest, record_id: RecordId) -> list[dict[str, Any]]:
    answer = get_visible_or_404(request.user, SurveyResponse, pk=record_id)
    return [history_entry_view(entry) for entry in history_of(record=answer, limit=500)]


# --- referrals ---------------------------------------------------------------------------------


class ReferralIn(Input):
    referrer_id: RecordId
    referred_customer_id: RecordId | None = Field(None, description="if they are a customer")
    referred_email: str = Field("", max_length=254, description="whom the invitation went to")
    referred_at: datetime
    status: ReferralStatus | None = Field(
        None, description="default: signed_up with a referred customer, else invited"
    )
    external_id: str = Field("", max_length=100, description="the referral program's id")


class ReferralPatch(Input):
    referred_customer_id: RecordId | None = None
    referred_email: str | None = Field(None, max_length=254)
    referred_at: datetime | None = None
    status: ReferralStatus | None = None
    external_id: str | None = Field(None, max_length=100)


class ReferralOut(Schema):
    id: int
    referrer_id: int
    referred_customer_id: int | None
    referred_email: str
    referred_at: datetime
    status: str
    external_id: str
    created_at: datetime


class ReferralFilters(QueryInput):
    customer_id: RecordId | None = Field(None, description="the referrer or the customer referred")
    referrer_id: RecordId | None = None
    status: ReferralStatus | None = None
    referred_after: datetime | None = Field(None, description="referred at or after")
    referred_before: datetime | None = Field(None, description="referred before")


def _referral_create(by: Any, data: dict[str, Any]) -> Referral:
    # The recipe turns a null text field into ""; a status left out means "the default".
    return services.referral_create(by=by, **{**data, "status": data["status"] or None})


add_crud(
    router,
    Resource(
        path="/referrals",
        label="referral",
        model=Referral,
        schema_in=ReferralIn,
        schema_patch=ReferralPatch,
        schema_out=ReferralOut,
        filters=ReferralFilters,
        filterset=ReferralFilterSet,
        create=_referral_create,
        update=lambda by, pk, changes: services.referral_update(
            by=by, referral_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.referral_delete(by=by, referral_id=pk),
    ),
)
