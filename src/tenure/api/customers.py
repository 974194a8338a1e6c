"""/api/v1/customers, /accounts, /contacts, /subscriptions, and a customer's timeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from tenure.access import get_visible_or_404
from tenure.access.filtering import sort_choices
from tenure.api.crud import Resource, add_crud
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, one_of
from tenure.api.types import Money, RecordId
from tenure.customers import services
from tenure.customers.filters import (
    ACCOUNT_SORTS,
    CUSTOMER_SORTS,
    MONEY_MAX,
    STAGE_MAX_LENGTH,
    STAGES_MAX,
    AccountFilterSet,
    ContactFilterSet,
    CustomerFilterSet,
    SubscriptionFilterSet,
)
from tenure.customers.models import (
    Account,
    BillingInterval,
    BudgetBand,
    Contact,
    ContactRole,
    Customer,
    SizeBand,
    Subscription,
)
from tenure.customers.selectors import customer_timeline, timeline_kinds_parse

router = Router(tags=["customers"])


# --- customers ---------------------------------------------------------------------------------


class CustomerIn(Input):
    external_id: str = Field(min_length=1, max_length=100)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str = Field("", max_length=40)
    birthday: date | None = None
    time_zone: str = Field("", max_length=64)
    channel: str = Field("", max_length=60)
    category: str = Field("", max_length=60)
    account_id: RecordId | None = None
    owner_id: RecordId | None = None
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class CustomerPatch(Input):
    external_id: str | None = Field(None, min_length=1, max_length=100)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    birthday: date | None = None
    time_zone: str | None = Field(None, max_length=64)
    channel: str | None = Field(None, max_length=60)
    category: str | None = Field(None, max_length=60)
    account_id: RecordId | None = None
    owner_id: RecordId | None = None
    custom_attributes: dict[str, Any] | None = None
    created_at: datetime | None = None


class CustomerOut(Schema):
    id: int
    external_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    birthday: date | None
    time_zone: str
    channel: str
    category: str
    account_id: int | None
    owner_id: int | None
    custom_attributes: dict[str, Any]
    created_at: datetime
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_count: int
    revenue: Money


# Each list's query schema mirrors its FilterSet (``tenure.customers.filters``), field for field
# (``tests/web/test_list_filters.py`` holds them equal); the FilterSet applies them.


class CustomerListFilters(QueryInput):
    category: str = Field("", max_length=60)
    channel: str = Field("", max_length=60)
    owner_id: RecordId | None = None
    account_id: RecordId | None = None
    in_segment: RecordId | None = Field(None, description="the members of this segment now")
    q: str = Field("", max_length=200, description="words matched against name, email, id")
    stage: list[Annotated[str, Field(max_length=STAGE_MAX_LENGTH)]] | None = Field(
        None, max_length=STAGES_MAX, description="in one of these stages (keys; repeat the key)"
    )
    health: Literal["red", "yellow", "green"] | None = Field(None, description="health band now")
    clv_min: Decimal | None = Field(
        None, ge=0, le=MONEY_MAX, max_digits=14, decimal_places=2,
        description="predicted CLV at least",
    )  # fmt: skip
    clv_max: Decimal | None = Field(
        None, ge=0, le=MONEY_MAX, max_digits=14, decimal_places=2,
        description="predicted CLV at most",
    )  # fmt: skip
    churn_risk_min: Decimal | None = Field(
        None, ge=0, le=1, max_digits=5, decimal_places=4,
        description="churn risk (0-1, from the ranking the latest fit chose) at least",
    )  # fmt: skip
    last_order_after: datetime | None = Field(None, description="last order at or after")
    last_order_before: datetime | None = Field(None, description="last order before")
    sort: str | None = Field(
        None,
        description="the order, pages following it; `-` first for descending (default: by id)",
        json_schema_extra=one_of(sort_choices(CUSTOMER_SORTS)),
    )


def _customer_create(by: Any, data: dict[str, Any]) -> Customer:
    return services.customer_create(by=by, **data)


add_crud(
    router,
    Resource(
        path="/customers",
        label="customer",
        model=Customer,
        schema_in=CustomerIn,
        schema_patch=CustomerPatch,
        schema_out=CustomerOut,
        filters=CustomerListFilters,
        filterset=CustomerFilterSet,
        create=_customer_create,
        update=lambda by, pk, changes: services.customer_update(
            by=by, customer_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.customer_delete(by=by, customer_id=pk),
    ),
)


class TimelineEntryOut(Schema):
    kind: str
    at: datetime
    id: int
    summary: str
    amount: Money | None = None
    status: str = ""


class TimelineOut(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


@router.get(
    "/customers/{customer_id}/timeline",
    response={200: TimelineOut, **ERROR_RESPONSES},
    summary="A customer's orders, interactions, emails, tasks, stage moves, field changes, "
    "survey answers and referrals, newest first",
    description="``kinds``: comma-separated, of order, interaction, message, task, stage, "
    "change, survey, referral, voice (empty or none known: all).",
)
def get_timeline(
    request: HttpRequest,
    customer_id: RecordId,
    cursor: str | None = None,
    limit: int = 20,
    kinds: str = "",
) -> dict[str, Any]:
    customer = get_visible_or_404(request.user, Customer, pk=customer_id)
    page = customer_timeline(
        customer=customer, before=cursor, limit=max(1, min(limit, 200)),
        kinds=timeline_kinds_parse([kinds]),
    )  # fmt: skip
    items = []
    for entry in page.entries:
        summary, amount, status = _timeline_summary(entry.kind, entry.item, customer)
        items.append(
            {"kind": entry.kind, "at": entry.at, "id": entry.item.pk, "summary": summary,
             "amount": amount, "status": status}
        )  # fmt: skip
    return {"items": items, "next_cursor": page.next_cursor}


def _timeline_summary(kind: str, item: Any, customer: Customer) -> tuple[str, Any, str]:
    """(summary, amount, status) of one timeline entry, in plain words."""
    if kind == "order":
        return f"Order {item.external_id}", item.amount, item.status
    if kind == "survey":
        return f"{item.get_kind_display()} {item.score}", None, item.sentiment
    if kind == "voice":
        rating = f" ({item.rating} of {item.rating_scale})" if item.rating is not None else ""
        return f"{item.source_name}{rating}: {item.text[:80]}", None, item.source_kind
    if kind == "referral":
        summary = "Came through a referral"
        if item.referrer_id == customer.pk:
            summary = f"Referred {item.referred_email or 'someone'}"
        return summary, None, item.status
    if kind == "message":
        return item.subject or f"Email {item.source}", None, item.status
    if kind == "task":
        return f"Task: {item.title}", None, item.status
    if kind == "stage":
        return f"Stage: {item.from_stage or '-'} -> {item.to_stage}", None, ""
    if kind == "change":
        return f"Changed: {', '.join(sorted(item.changes_dict))}", None, ""
    return item.subject or item.body[:80], None, item.status


# --- accounts ----------------------------------------------------------------------------------


class AccountIn(Input):
    name: str = Field(min_length=1, max_length=200)
    industry: str = Field("", max_length=100)
    size_band: SizeBand | None = None
    budget_band: BudgetBand | None = None
    website: str = Field("", max_length=200)
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    owner_id: RecordId | None = None
    created_at: datetime | None = None


class AccountPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    industry: str | None = Field(None, max_length=100)
    size_band: SizeBand | None = None
    budget_band: BudgetBand | None = None
    website: str | None = Field(None, max_length=200)
    custom_attributes: dict[str, Any] | None = None
    owner_id: RecordId | None = None


class AccountOut(Schema):
    id: int
    name: str
    industry: str
    size_band: str
    budget_band: str
    website: str
    custom_attributes: dict[str, Any]
    owner_id: int | None
    created_at: datetime


class AccountFilters(QueryInput):
    industry: str = Field("", max_length=100)
    size_band: SizeBand | None = None
    budget_band: BudgetBand | None = None
    owner_id: RecordId | None = None
    health: Literal["red", "yellow", "green"] | None = Field(
        None, description="the account's health band now"
    )
    q: str = Field("", max_length=200, description="matched against name and industry")
    sort: str | None = Field(
        None,
        description="the order, pages following it; `-` first for descending (default: by id)",
        json_schema_extra=one_of(sort_choices(ACCOUNT_SORTS)),
    )


add_crud(
    router,
    Resource(
        path="/accounts",
        label="account",
        model=Account,
        schema_in=AccountIn,
        schema_patch=AccountPatch,
        schema_out=AccountOut,
        filters=AccountFilters,
        filterset=AccountFilterSet,
        create=lambda by, data: services.account_create(by=by, **data),
        update=lambda by, pk, changes: services.account_update(
            by=by, account_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.account_delete(by=by, account_id=pk),
    ),
)


# --- contacts ----------------------------------------------------------------------------------


class ContactIn(Input):
    account_id: RecordId
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    title: str = Field("", max_length=120)
    role: ContactRole = ContactRole.USER
    is_primary: bool = False
    notes: str = ""
    receives_reports: bool = Field(
        False, description="asked for the account's results report by email"
    )


class ContactPatch(Input):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=120)
    role: ContactRole | None = None
    is_primary: bool | None = None
    notes: str | None = None
    receives_reports: bool | None = None


class ContactOut(Schema):
    id: int
    account_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    role: str
    is_primary: bool
    notes: str
    receives_reports: bool


class ContactFilters(QueryInput):
    account_id: RecordId | None = None
    role: ContactRole | None = None


add_crud(
    router,
    Resource(
        path="/contacts",
        label="contact",
        model=Contact,
        schema_in=ContactIn,
        schema_patch=ContactPatch,
        schema_out=ContactOut,
        filters=ContactFilters,
        filterset=ContactFilterSet,
        create=lambda by, data: services.contact_create(by=by, **data),
        update=lambda by, pk, changes: services.contact_update(
            by=by, contact_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.contact_delete(by=by, contact_id=pk),
    ),
)


# --- subscriptions -----------------------------------------------------------------------------


class SubscriptionIn(Input):
    customer_id: RecordId
    external_id: str | None = Field(None, min_length=1, max_length=100)
    plan: str = Field(min_length=1, max_length=100)
    amount: Money
    currency: str = Field(min_length=3, max_length=3)
    interval: BillingInterval
    started_at: datetime
    renews_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: str = Field("", max_length=200)


class SubscriptionPatch(Input):
    plan: str | None = Field(None, min_length=1, max_length=100)
    amount: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    interval: BillingInterval | None = None
    renews_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = Field(None, max_length=200)


class SubscriptionOut(Schema):
    id: int
    customer_id: int
    external_id: str | None
    plan: str
    amount: Money
    currency: str
    interval: str
    started_at: datetime
    renews_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str


class SubscriptionFilters(QueryInput):
    customer_id: RecordId | None = None
    active: bool | None = Field(None, description="true: not cancelled; false: cancelled")


add_crud(
    router,
    Resource(
        path="/subscriptions",
        label="subscription",
        model=Subscription,
        schema_in=SubscriptionIn,
        schema_patch=SubscriptionPatch,
        schema_out=SubscriptionOut,
        filters=SubscriptionFilters,
        filterset=SubscriptionFilterSet,
        create=lambda by, data: services.subscription_create(by=by, **data),
        update=lambda by, pk, changes: services.subscription_update(
            by=by, subscription_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.subscription_delete(by=by, subscription_id=pk),
    ),
)
