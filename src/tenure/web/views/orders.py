"""An order and its lines."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenure.access import may
from tenure.domain.access import Action
from tenure.orders.models import Order
from tenure.orders.selectors import order_detail
from tenure.web.views._render import recent_history, signed_in_user


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
