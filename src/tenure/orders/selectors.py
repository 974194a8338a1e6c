"""Reads for orders."""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch

from tenure.access import visible
from tenure.orders.models import Order, OrderLine
from tenure.users.models import User


def order_detail(*, user: User, order_id: int) -> Order:
    """One order with its customer and its lines (each with ``line_total``).

    Raises ``Order.DoesNotExist`` when there is none or the user may not see it.
    """
    line_total = ExpressionWrapper(
        F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    return (
        visible(user, Order)
        .select_related("customer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.annotate(line_total=line_total))
        )
        .get(pk=order_id)
    )
