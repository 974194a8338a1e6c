"""The orders list's filters and sort, declared once for the page, the API's list and the orders
exports (the page's and the API's) (``tenure.access.filtering``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.http import QueryDict

from tenure.access.filtering import IdFilter, ListFilterSet, SortFilter
from tenure.customers.filters import CUSTOMER_SORTS, CustomerFilterSet
from tenure.orders.models import Order, OrderStatus

# What the list may be sorted by: the name in the URL (the column's) -> the columns. The number
# and the moment are indexed (the unique number, ``order_placed``); the amount is not (an index
# costs every imported order a write), so sorting by it sorts the matching orders.
ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "order": ("external_id", "id"),
    "placed": ("placed_at", "id"),
    "amount": ("amount", "id"),
}


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
    sort = SortFilter(sorts=ORDER_SORTS)
    default_sort = "-placed"  # newest first

    class Meta(ListFilterSet.Meta):
        model = Order
        fields: list[str] = []


def order_export_filters(
    user: Any, data: Mapping[str, Any]
) -> tuple[OrderFilterSet, CustomerFilterSet]:
    """The two FilterSets of an export of orders narrowed like both lists (whose orders: the
    customers list's filters): one query, one ``sort``, given to the list whose sort it names
    (their keys differ); any other goes to the customers', which refuses it by name."""
    sort = str(data.get("sort") or "").lstrip("-")
    mine = sort in ORDER_SORTS and sort not in CUSTOMER_SORTS
    return (
        OrderFilterSet.of(user, data if mine else _without_sort(data)),
        CustomerFilterSet.of(user, _without_sort(data) if mine else data),
    )


def _without_sort(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, QueryDict):
        kept = data.copy()
        kept.pop("sort", None)
        return kept
    return {name: value for name, value in data.items() if name != "sort"}
