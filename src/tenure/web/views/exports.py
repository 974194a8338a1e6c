"""CSV exports of the customers list: the customers it shows, or their orders.

Exactly the rows of the list's filters, search and sort (``CustomerFilterSet``, and
``OrderFilterSet`` for the orders), of the customers the user may see (and the export service's
``by=``), streamed: a million rows cost no more memory
than ten. The columns and the formula neutralising are those of ``tenure export``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenure.access.filtering import InvalidFilters
from tenure.customers.filters import CustomerFilterSet
from tenure.customers.selectors import customers_chosen
from tenure.orders.filters import order_export_filters
from tenure.orders.selectors import orders_chosen
from tenure.transfer.services import CsvExport, customers_export_csv, orders_export_csv
from tenure.web.views._render import signed_in_user
from tenure.web.views.filtering import refused_words


def _attachment(export: CsvExport, kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export, content_type="text/csv; charset=utf-8")
    filename = f"{kind}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not for shared caches
    return response


def _refused(refused: InvalidFilters) -> HttpResponse:
    """An export has no page to show a field's error on: the fields, in words (400)."""
    text = f"The export's filters were refused:\n{refused_words(refused)}\n"
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def customers_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = signed_in_user(request)
    try:
        customers = customers_chosen(filters=CustomerFilterSet.of(user, request.GET))
    except InvalidFilters as refused:
        return _refused(refused)
    insights = request.GET.get("insights") == "1"  # tenure's figures after the columns
    export = customers_export_csv(by=user, customers=customers, insights=insights)
    return _attachment(export, "customers")


@login_required
@require_GET
def customer_orders_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The orders of the listed customers (in the list's sort), narrowed by the orders list's
    filters when the query names them (in the orders list's sort when it names one)."""
    user = signed_in_user(request)
    filters, customers = order_export_filters(user, request.GET)
    try:
        orders = orders_chosen(filters=filters, customers=customers)
    except InvalidFilters as refused:
        return _refused(refused)
    return _attachment(orders_export_csv(by=user, orders=orders), "orders")
