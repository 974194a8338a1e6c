"""Reads for orders."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, QuerySet

from tenure.access import visible
from tenure.access.filtering import InvalidFilters, order_terms
from tenure.customers.filters import CustomerFilterSet
from tenure.orders.filters import OrderFilterSet
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


def order_list(*, filters: OrderFilterSet) -> QuerySet[Order]:
    """The orders ``filters`` choose among those its user may see, in the sort asked for, else
    newest first (the index on (customer, placed_at) serves a customer's; the whole list walks
    ``placed_at``). Raises ``InvalidFilters``."""
    return filters.in_default_order(filters.filtered()).select_related("customer")


def order_search(*, user: User, terms: list[str]) -> QuerySet[Order]:
    """The orders the user may see whose number holds every word, newest first."""
    orders = visible(user, Order).select_related("customer")
    for term in terms:
        orders = orders.filter(external_id__icontains=term)
    return orders.order_by("-placed_at", "-id")


def orders_chosen(*, filters: OrderFilterSet, customers: CustomerFilterSet) -> QuerySet[Order]:
    """The orders ``filters`` choose, of the customers ``customers`` choose (both among what
    their user may see): in the orders' sort when one is asked for, else in the customers',
    then by id; else by id (``filters.order_export_filters`` gives the sort to one of them).
    Raises ``InvalidFilters`` naming the fields of both."""
    refused = {**customers.field_errors(), **filters.field_errors()}
    if refused:
        raise InvalidFilters(refused)
    of_customers = customers.filtered().order_by().values("pk")
    orders = filters.filtered().filter(customer__in=of_customers)
    if filters.sort_columns():
        return orders  # in the orders' own sort, which ends with the id
    sort = customers.sort_columns()
    if not sort:
        return orders.order_by("id")
    by_customer = [replace(column, field=f"customer__{column.field}") for column in sort]
    return orders.order_by(*order_terms(by_customer), "id")
