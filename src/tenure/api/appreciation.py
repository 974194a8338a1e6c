"""/api/v1/appreciations: gifts, thank-you notes and invitations given to accounts. Recorded
or deleted, never edited (what was given was given); read and written under the account's
roles (``tenure.success.appreciation``). A ``key`` makes a retried create return the first
record (200), as ``Idempotency-Key`` does for any POST."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.api.auth import caller
from tenure.api.crud import HistoryEntryOut
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.history.selectors import history_entry_view, history_of
from tenure.success.appreciation import appreciation_delete, appreciation_record
from tenure.success.appreciation_filters import AppreciationFilterSet
from tenure.success.models import Appreciation, AppreciationKind

router = Router(tags=["appreciation"])


class AppreciationIn(Input):
    account_id: RecordId
    kind: AppreciationKind
    description: str = Field("", max_length=500)
    cost: Money | None = Field(None, description='what it cost, e.g. "25.00" (default 0.00)')
    currency: str | None = Field(None, min_length=3, max_length=3, description="ISO 4217")
    given_on: date | None = Field(None, description="default: today")
    contact_id: RecordId | None = Field(None, description="the person at the account")
    customer_id: RecordId | None = Field(None, description="the account's customer")
    key: str | None = Field(None, max_length=200, description="records one, however often sent")


class AppreciationOut(Schema):
    id: int
    account_id: int
    contact_id: int | None
    customer_id: int | None
    kind: str
    description: str
    cost: Money
    currency: str
    given_on: date
    given_by_id: int | None
    created_at: datetime
    key: str | None


class AppreciationFilters(QueryInput):
    account_id: RecordId | None = None
    customer_id: RecordId | None = None
    kind: AppreciationKind | None = None
    given_by: RecordId | None = Field(None, description="who gave it (a team member's id)")
    owner: RecordId | None = Field(None, description="the account's owner")
    given_after: date | None = Field(None, description="given on or after")
    given_before: date | None = Field(None, description="given on or before")


@router.get(
    "/appreciations",
    response={200: Page[AppreciationOut], **ERROR_RESPONSES},
    summary="List appreciations",
    operation_id="list_appreciations",
)
def list_appreciations(
    request: HttpRequest,
    filters: Query[AppreciationFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = AppreciationFilterSet.of(request.user, filter_values(filters))
    return paginate(chosen.filtered(), cursor=cursor, limit=limit)


@router.post(
    "/appreciations",
    response={200: AppreciationOut, 201: AppreciationOut, **ERROR_RESPONSES},
    summary="Record a gift, thank-you note or invitation (200: recorded before with its key)",
    operation_id="create_appreciation",
)
def create_appreciation(request: HttpRequest, payload: AppreciationIn) -> Status:
    # Attributes, not model_dump(): dumping would round the cost as the output does.
    names = type(payload).model_fields.keys() - {"account_id"}
    data = {name: getattr(payload, name) for name in names if getattr(payload, name) is not None}
    found, new = appreciation_record(
        by=caller(request), account_id=payload.account_id, data=data, now=timezone.now()
    )
    return Status(201 if new else 200, found)


@router.get(
    "/appreciations/{record_id}",
    response={200: AppreciationOut, **ERROR_RESPONSES},
    summary="One appreciation",
    operation_id="get_appreciation",
)
def get_appreciation(request: HttpRequest, record_id: RecordId) -> Appreciation:
    return get_visible_or_404(request.user, Appreciation, pk=record_id)


@router.delete(
    "/appreciations/{record_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete an appreciation recorded by mistake",
    operation_id="delete_appreciation",
)
def delete_appreciation(request: HttpRequest, record_id: RecordId) -> Status:
    appreciation_delete(by=caller(request), appreciation_id=record_id)
    return Status(204, None)


@router.get(
    "/appreciations/{record_id}/history",
    response={200: list[HistoryEntryOut], **ERROR_RESPONSES},
    summary="Every change of an appreciation: who, when, fields before and after",
    operation_id="history_appreciation",
)
def appreciation_history(request: HttpRequest, record_id: RecordId) -> list[dict[str, Any]]:
    found = get_visible_or_404(request.user, Appreciation, pk=record_id)
    return [history_entry_view(entry) for entry in history_of(record=found, limit=500)]
