"""/api/v1/customers/export.csv and /orders/export.csv: the exports of ``tenure export`` and of
the web list, for the customers the caller may see and the list filters name, streamed."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Field, Query, Router

from tenure.access import require
from tenure.api.customers import CustomerListFilters
from tenure.api.errors import ERROR_RESPONSES
from tenure.customers.selectors import CustomerFilters, customer_list
from tenure.domain.access import Action
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


def _attachment(export: CsvExport, kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export, content_type="text/csv; charset=utf-8")
    filename = f"{kind}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not for shared caches
    return response


def _caller(request: HttpRequest) -> User:
    require(request.user, Action.VIEW)  # the token's user (BearerToken): never anonymous here
    return cast(User, request.user)


def _customers(user: User, filters: CustomerListFilters) -> Any:
    chosen = filters.model_dump(include=set(CustomerListFilters.model_fields))
    return customer_list(user=user, filters=CustomerFilters(**chosen))


@router.get(
    "/customers/export.csv",
    response={**ERROR_RESPONSES},
    summary="The customers you may see (narrowed like the list) as the import's CSV",
    openapi_extra=CSV_RESPONSE,
)
def customers_csv(
    request: HttpRequest, filters: Query[CustomerExportFilters]
) -> StreamingHttpResponse:
    user = _caller(request)
    customers = _customers(user, filters)
    export = customers_export_csv(by=user, customers=customers, insights=filters.insights)
    return _attachment(export, "customers")


@router.get(
    "/orders/export.csv",
    response={**ERROR_RESPONSES},
    summary="The orders of the customers you may see (narrowed like the list) as the import's CSV",
    openapi_extra=CSV_RESPONSE,
)
def orders_csv(request: HttpRequest, filters: Query[CustomerListFilters]) -> StreamingHttpResponse:
    user = _caller(request)
    return _attachment(orders_export_csv(by=user, customers=_customers(user, filters)), "orders")
