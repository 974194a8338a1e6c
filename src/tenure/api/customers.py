"""/api/v1/customers: the customers resource and a customer's timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money
from tenure.customers import services
from tenure.customers.models import Customer
from tenure.customers.selectors import CustomerFilters, customer_list, customer_timeline

router = Router(tags=["customers"])


class CustomerIn(Schema):
    external_id: str = Field(min_length=1, max_length=100)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str = Field("", max_length=40)
    birthday: date | None = None
    time_zone: str = Field("", max_length=64)
    channel: str = Field("", max_length=60)
    segment: str = Field("", max_length=60)
    account_id: int | None = None
    owner_id: int | None = None
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class CustomerPatch(Schema):
    external_id: str | None = Field(None, min_length=1, max_length=100)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    birthday: date | None = None
    time_zone: str | None = Field(None, max_length=64)
    channel: str | None = Field(None, max_length=60)
    segment: str | None = Field(None, max_length=60)
    account_id: int | None = None
    owner_id: int | None = None
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
    segment: str
    account_id: int | None
    owner_id: int | None
    custom_attributes: dict[str, Any]
    created_at: datetime
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_count: int
    revenue: Money


class CustomerListFilters(Schema):
    q: str = Field("", max_length=200, description="words matched against name, email, id")
    segment: str = ""
    channel: str = ""
    owner_id: int | None = None
    account_id: int | None = None


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


def _payload(schema: Schema, *, partial: bool) -> dict[str, Any]:
    data = schema.model_dump(exclude_unset=partial)
    if "email" in data:
        data["email"] = data["email"] or ""
    return data


@router.get("/customers", response=Page[CustomerOut], summary="List customers")
def list_customers(
    request: HttpRequest,
    filters: Query[CustomerListFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = customer_list(
        user=request.user,  # type: ignore[arg-type]
        filters=CustomerFilters(**filters.model_dump()),
    )
    return paginate(found, cursor=cursor, limit=limit)


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status:
    data = _payload(payload, partial=False)
    customer = services.customer_create(by=request.user, **data)  # type: ignore[arg-type]
    return Status(201, customer)


@router.get("/customers/{customer_id}", response=CustomerOut, summary="One customer")
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return get_visible_or_404(request.user, Customer, pk=customer_id)


@router.patch("/customers/{customer_id}", response=CustomerOut, summary="Change a customer")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Customer:
    return services.customer_update(
        by=request.user,  # type: ignore[arg-type]
        customer_id=customer_id,
        changes=_payload(payload, partial=True),
    )


@router.delete("/customers/{customer_id}", response={204: None}, summary="Delete a customer")
def delete_customer(request: HttpRequest, customer_id: int) -> Status:
    services.customer_delete(by=request.user, customer_id=customer_id)  # type: ignore[arg-type]
    return Status(204, None)


@router.get(
    "/customers/{customer_id}/timeline",
    response=TimelineOut,
    summary="A customer's orders and interactions, newest first",
)
def get_timeline(
    request: HttpRequest, customer_id: int, cursor: str | None = None, limit: int = 20
) -> dict[str, Any]:
    customer = get_visible_or_404(request.user, Customer, pk=customer_id)
    page = customer_timeline(customer=customer, before=cursor, limit=max(1, min(limit, 200)))
    items = []
    for entry in page.entries:
        item = entry.item
        if entry.kind == "order":
            summary, amount, status = f"Order {item.external_id}", item.amount, item.status
        else:
            summary, amount, status = item.subject or item.body[:80], None, item.status
        items.append(
            {
                "kind": entry.kind,
                "at": entry.at,
                "id": item.pk,
                "summary": summary,
                "amount": amount,
                "status": status,
            }
        )
    return {"items": items, "next_cursor": page.next_cursor}
