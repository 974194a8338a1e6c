"""The orders list, and an order with its lines."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tenure.access import may
from tenure.domain.access import Action
from tenure.orders.filters import OrderFilterSet
from tenure.orders.models import Order, OrderStatus
from tenure.orders.selectors import order_detail, order_list
from tenure.web.views._render import recent_history, signed_in_user, wants_fragment
from tenure.web.views.empty_state import empty_state
from tenure.web.views.filtering import filtered_page
from tenure.web.views.list_views import (
    SAVED_PARAM,
    columns_context,
    default_view_redirect,
    views_context,
)
from tenure.workspace.columns import COLUMNS_PARAM


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def orders(request: HttpRequest) -> HttpResponse:
    """Every order the user may see, by status, customer and when placed; newest first, or
    sorted by a column's header (``?sort=-amount``: the FilterSet's sort, as the API's)."""
    if (default := default_view_redirect(request, "orders")) is not None:
        return default
    user = signed_in_user(request)
    found = filtered_page(request, OrderFilterSet.of(user, request.GET), order_list)
    columns = columns_context(request, "orders")
    export_query = request.GET.copy()
    for key in ("page", COLUMNS_PARAM, SAVED_PARAM):  # an export is every row, all its columns
        export_query.pop(key, None)
    context = {
        "filters": found.values,
        "filter_errors": {**found.errors, **columns["columns_error"]},
        "page": found.page,
        "statuses": OrderStatus.choices,
        "export_query": export_query.urlencode(),
        "section": "orders",
        **columns,
        **views_context(request, "orders"),
    }
    if not found.page.items:  # nothing at all yet: ways in, not "clear the filters"
        context["empty_state"] = empty_state(user=user, list_name="orders")
    status = 200 if wants_fragment(request, "results") else found.status  # htmx swaps 2xx only
    if wants_fragment(request, "results"):
        context["fragment"] = True
        return render(request, "web/orders/_results.html", context, status=status)
    return render(request, "web/orders/list.html", context, status=status)


@login_required
@require_GET
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        found = order_detail(user=signed_in_user(request), order_id=order_id)
    except Order.DoesNotExist as missing:
        raise Http404("No such order.") from missing
    context = {
        "order": found,
        "history": recent_history(found),
        "may_change": may(request.user, Action.CHANGE),
        "section": "customers",
    }
    return render(request, "web/orders/detail.html", context)
