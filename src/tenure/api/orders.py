"""/api/v1/orders: one order at a time (the CSV import is for logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import WrapValidator

from tenure.access.filtering import sort_choices
from tenure.api.auth import caller
from tenure.api.crud import Resource, add_crud
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, InvalidItem, QueryInput, item_or_its_errors, one_of
from tenure.api.types import Money, RecordId
from tenure.orders import services
from tenure.orders.filters import ORDER_SORTS, OrderFilterSet
from tenure.orders.ingest import BULK_MAX, orders_ingest
from tenure.orders.models import Order, OrderStatus

router = Router(tags=["orders"])


class OrderIn(Input):
    external_id: str = Field(min_length=1, max_length=100)
    customer_id: RecordId
    placed_at: datetime
    amount: Money
    currency: str = Field(min_length=3, max_length=3)
    status: OrderStatus = OrderStatus.COMPLETED


class OrderPatch(Input):
    placed_at: datetime | None = None
    amount: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    status: OrderStatus | None = None


class OrderOut(Schema):
    id: int
    external_id: str
    customer_id: int
    placed_at: datetime
    amount: Money
    currency: str
    status: str


class OrderFilters(QueryInput):
    """The fields of ``OrderFilterSet``, typed."""

    customer_id: RecordId | None = None
    status: OrderStatus | None = None
    placed_after: datetime | None = Field(None, description="placed at or after")
    placed_before: datetime | None = Field(None, description="placed before")
    sort: str | None = Field(
        None,
        description="the order, pages following it; `-` first for descending (default: by id)",
        json_schema_extra=one_of(sort_choices(ORDER_SORTS)),
    )


BulkItem = Annotated[OrderIn, WrapValidator(item_or_its_errors)]


class BulkOrdersIn(Input):
    orders: list[BulkItem] = Field(max_length=BULK_MAX)


class BulkResult(Schema):
    index: int
    status: str = Field(description="created, updated, unchanged or error")
    id: int | None
    errors: dict[str, list[str]]


class BulkOut(Schema):
    results: list[BulkResult]


@router.post(
    "/orders/bulk",
    response={200: BulkOut, **ERROR_RESPONSES},
    summary="Upsert up to 1,000 orders by external_id, with a result per order",
    description=(
        "Each order is stored whole or not at all, on its own: one that is invalid, refused "
        "or failing leaves the others' results as they are, and is reported with its errors "
        "(`index` is its place in the request). An order for a customer the caller may not "
        "change is refused as `no customer with id N`, like an unknown one; an external_id "
        "held by an order the caller may not change is refused as taken, in the words of any "
        "value already in use, telling nothing about that order. The whole request is refused "
        "only for more than 1,000 orders (422) or a role that may not change records (403). "
        "A retry with the same Idempotency-Key replays the answer; without one, orders "
        "stored already come back `unchanged`."
    ),
)
def ingest_orders(request: HttpRequest, payload: BulkOrdersIn) -> dict[str, Any]:
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(payload.orders):
        if isinstance(item, InvalidItem):
            results[index] = {"index": index, "status": "error", "id": None, "errors": item.fields}
        else:
            valid.append((index, {name: getattr(item, name) for name in type(item).model_fields}))
    stored = orders_ingest(by=caller(request), orders=[fields for _, fields in valid])
    for (index, _), result in zip(valid, stored, strict=True):
        results[index] = {**result, "index": index}  # its place in the request, not the call
    return {"results": [results[index] for index in sorted(results)]}


# After /orders/bulk, so that "bulk" is not read as an order id.
add_crud(
    router,
    Resource(
        path="/orders",
        label="order",
        model=Order,
        schema_in=OrderIn,
        schema_patch=OrderPatch,
        schema_out=OrderOut,
        filters=OrderFilters,
        filterset=OrderFilterSet,
        create=lambda by, data: services.order_create(by=by, **data),
        update=lambda by, pk, changes: services.order_update(by=by, order_id=pk, changes=changes),
        delete=lambda by, pk: services.order_delete(by=by, order_id=pk),
    ),
)
