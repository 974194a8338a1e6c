"""The orders list's filters, declared once for the API's list and the orders exports (the
page's and the API's) (``tenure.access.filtering``)."""

from __future__ import annotations

import django_filters

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.orders.models import Order, OrderStatus


class OrderFilterSet(ListFilterSet):
    customer_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    # A time without an offset is the business's wall time (``?placed_after=2025-01-01`` is its
    # midnight), as Django's forms read it.
    placed_after = django_filters.IsoDateTimeFilter(
        field_name="placed_at", lookup_expr="gte", help_text="placed at or after"
    )
    placed_before = django_filters.IsoDateTimeFilter(
        field_name="placed_at", lookup_expr="lt", help_text="placed before"
    )

    class Meta(ListFilterSet.Meta):
        model = Order
        fields: list[str] = []
