"""/api/v1/orders: one order at a time (the CSV import is for logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema

from tenure.api.crud import Resource, add_crud
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.types import Money
from tenure.orders import services
from tenure.orders.models import Order, OrderStatus

router = Router(tags=["orders"])


class OrderIn(Schema):
    external_id: str = Field(min_length=1, max_length=100)
    customer_id: int
    placed_at: datetime
    amount: Money
    currency: str = Field(min_length=3, max_length=3)
    status: OrderStatus = OrderStatus.COMPLETED


class OrderPatch(Schema):
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


class OrderFilters(Schema):
    customer_id: int | None = None
    status: OrderStatus | None = None
    placed_after: datetime | None = Field(None, description="placed at or after")
    placed_before: datetime | None = Field(None, description="placed before")


def _order_filters(_: Any, orders: QuerySet, f: OrderFilters) -> QuerySet:
    if f.customer_id is not None:
        orders = orders.filter(customer_id=f.customer_id)
    if f.status is not None:
        orders = orders.filter(status=f.status)
    if f.placed_after is not None:
        orders = orders.filter(placed_at__gte=f.placed_after)
    if f.placed_before is not None:
        orders = orders.filter(placed_at__lt=f.placed_before)
    return orders


class BulkOrdersIn(Schema):
    orders: list[OrderIn] = Field(max_length=services.BULK_MAX)


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
)
def ingest_orders(request: HttpRequest, payload: BulkOrdersIn) -> dict[str, Any]:
    orders = [
        {name: getattr(order, name) for name in type(order).model_fields}
        for order in payload.orders
    ]
    return {"results": services.orders_ingest(by=request.user, orders=orders)}  # type: ignore[arg-type]


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
        apply_filters=_order_filters,
        create=lambda by, data: services.order_create(by=by, **data),
        update=lambda by, pk, changes: services.order_update(by=by, order_id=pk, changes=changes),
        delete=lambda by, pk: services.order_delete(by=by, order_id=pk),
    ),
)
