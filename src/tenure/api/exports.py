"""/api/v1/customers/export.csv and /orders/export.csv: the exports of ``tenure export`` and of
the web list, for the customers the caller may see and the list filters name, streamed.

The customers export takes the customers list's filters (``CustomerFilterSet``, its sort
included: rows in that order); the orders export takes those of the customers and the orders
list's (``OrderFilterSet``), rows in the sort either list names, else by id."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Field, Query, Router

from tenure.access import require
from tenure.access.filtering import sort_choices
from tenure.api.customers import CustomerListFilters
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import filter_values, one_of
from tenure.api.orders import OrderFilters
from tenure.customers.filters import CUSTOMER_SORTS, CustomerFilterSet
from tenure.customers.selectors import customers_chosen
from tenure.domain.access import Action
from tenure.orders.filters import ORDER_SORTS, order_export_filters
from tenure.orders.selectors import orders_chosen
from tenure.transfer.services import CsvExport, customers_export_csv, orders_export_csv
from tenure.users.models import User

router = Router(tags=["exports"])

CSV_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "CSV with a header row, UTF-8; formulas neutralised as in the import",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class CustomerExportFilters(CustomerListFilters):
    insights: bool = Field(
        False,
        description="add stage, health, health band, churn risk, P(alive), expected purchases, "
        "the horizon and predicted CLV after the customer columns",
    )


class OrderExportFilters(OrderFilters, CustomerListFilters):
    """The orders list's filters and the customers list's, which name whose orders; one sort,
    either list's."""

    sort: str | None = Field(
        None,
        description="the orders' sort, or their customers' (then by id); `-` first for "
        "descending (default: by id)",
        json_schema_extra=one_of(sort_choices({**ORDER_SORTS, **CUSTOMER_SORTS})),
    )


def _attachment(export: CsvExport, kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export, content_type="text/csv; charset=utf-8")
    filename = f"{kind}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not for shared caches
    return response


def _caller(request: HttpRequest) -> User:
    require(request.user, Action.VIEW)  # the token's user (BearerToken): never anonymous here
    return cast(User, request.user)


@router.get(
    "/customers/export.csv",
    response={**ERROR_RESPONSES},
    summary="The customers you may see (narrowed and sorted like the list) as the import's CSV",
    openapi_extra=CSV_RESPONSE,
)
def customers_csv(
    request: HttpRequest, filters: Query[CustomerExportFilters]
) -> StreamingHttpResponse:
    user = _caller(request)
    customers = customers_chosen(filters=CustomerFilterSet.of(user, filter_values(filters)))
    export = customers_export_csv(by=user, customers=customers, insights=filters.insights)
    return _attachment(export, "customers")


@router.get(
    "/orders/export.csv",
    response={**ERROR_RESPONSES},
    summary="The orders you may see (narrowed like the orders list, of the customers narrowed "
    "like the customers list) as the import's CSV",
    openapi_extra=CSV_RESPONSE,
)
def orders_csv(request: HttpRequest, filters: Query[OrderExportFilters]) -> StreamingHttpResponse:
    user = _caller(request)
    order_filters, customers = order_export_filters(user, filter_values(filters))
    orders = orders_chosen(filters=order_filters, customers=customers)
    return _attachment(orders_export_csv(by=user, orders=orders), "orders")
