"""CSV exports of the customers list: the customers it shows, or their orders.

Exactly the rows of the list's filters and search, of the customers the user may see (the list's
own selector, and the export service's ``by=``), streamed: a million rows cost no more memory
than ten. The columns and the formula neutralising are those of ``tenure export``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenure.customers.selectors import customer_list
from tenure.transfer.services import CsvExport, customers_export_csv, orders_export_csv
from tenure.web.forms import CustomerFilterForm
from tenure.web.views._render import signed_in_user


def _attachment(export: CsvExport, kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export, content_type="text/csv; charset=utf-8")
    filename = f"{kind}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not for shared caches
    return response


@login_required
@require_GET
def customers_csv(request: HttpRequest) -> StreamingHttpResponse:
    user = signed_in_user(request)
    customers = customer_list(user=user, filters=CustomerFilterForm(request.GET).filters())
    insights = request.GET.get("insights") == "1"  # tenure's figures after the columns
    export = customers_export_csv(by=user, customers=customers, insights=insights)
    return _attachment(export, "customers")


@login_required
@require_GET
def customer_orders_csv(request: HttpRequest) -> StreamingHttpResponse:
    user = signed_in_user(request)
    customers = customer_list(user=user, filters=CustomerFilterForm(request.GET).filters())
    return _attachment(orders_export_csv(by=user, customers=customers), "orders")
