"""Reads for accounts, contacts and customers: the lists, pages and timelines people look at.

Every selector takes the ``user`` who asks and starts from ``customers_visible`` or
``accounts_visible`` (the role policy of ``tenure.access``), never from ``Customer.objects``, so
that no list, page, search or count shows a record the user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from tenure.access import visible
from tenure.customers.filters import AccountFilterSet, CustomerFilterSet
from tenure.customers.models import Account, Customer
from tenure.customers.timeline import (  # noqa: F401  (the timeline's reads, exported here)
    TIMELINE_KINDS,
    TimelineEntry,
    TimelinePage,
    account_timeline,
    customer_timeline,
    timeline_kinds_parse,
)
from tenure.users.models import User


@dataclass(frozen=True)
class FilterChoices:
    categories: list[str]
    channels: list[str]
    owners: list[User]
    accounts: list[tuple[int, str]]


@dataclass(frozen=True)
class KeyFigures:
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_count: int
    revenue: Decimal
    average_order_value: Decimal | None


def customers_visible(*, user: User) -> QuerySet[Customer]:
    """The customers this user may see, by the one role policy of `tenure.access`."""
    return visible(user, Customer)


def accounts_visible(*, user: User) -> QuerySet[Account]:
    """The accounts this user may see, by the one role policy of `tenure.access`."""
    return visible(user, Account)


def customer_list(*, filters: CustomerFilterSet) -> QuerySet[Customer]:
    """The customers ``filters`` choose among those its user may see, sorted (by name unless
    told), with what a list row shows already joined. Raises ``InvalidFilters``."""
    # The stage, health and prediction are one-to-one rows of the apps above (by relation
    # name), read for the page's rows in one query each, never per row. Not joined into the
    # rows' query: the database would carry their columns (health's JSON among them) through
    # the sort of every match, 1.2 s for the red third of 100,000 customers on SQLite.
    return (
        filters.in_default_order(filters.filtered())
        .select_related("account", "owner")
        .prefetch_related("lifecycle_stage", "health", "prediction")
    )


def customers_chosen(*, filters: CustomerFilterSet) -> QuerySet[Customer]:
    """The customers ``filters`` choose, for an export: in the order asked for, else by id.
    Raises ``InvalidFilters``."""
    return filters.filtered()


def _distinct(queryset: QuerySet[Any], field: str) -> list[str]:
    """The distinct non-empty values of an indexed text column over the whole table, sorted.

    ``SELECT DISTINCT`` reads the whole index (tens of milliseconds at 100,000 rows, on every
    list page); this recursive query hops from one value to the next through the index instead
    (a "loose index scan"): a handful of lookups.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    table = quote(queryset.model._meta.db_table)
    column = quote(queryset.model._meta.get_field(field).column)
    sql = f"""
        WITH RECURSIVE found(value) AS (
            SELECT (SELECT {column} FROM {table} WHERE {column} > '' ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE {column} > found.value
                    ORDER BY {column} LIMIT 1)
            FROM found WHERE found.value IS NOT NULL
        )
        SELECT value FROM found WHERE value IS NOT NULL
    """  # noqa: S608 -- table and column names from the model, quoted; nothing from a request
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def customer_filter_choices(*, user: User, accounts_max: int = 500) -> FilterChoices:
    """The values the list filters offer: the categories and channels of the customers the user
    may see, owners, and (the first ``accounts_max``, by name) accounts."""
    customers = customers_visible(user=user)
    if customers.query.where:  # a role's own records: one pass over them gives both lists
        pairs = set(customers.order_by().values_list("category", "channel").distinct())
        categories = sorted({category for category, _ in pairs} - {""})
        channels = sorted({channel for _, channel in pairs} - {""})
    else:
        categories, channels = _distinct(customers, "category"), _distinct(customers, "channel")
    accounts = accounts_visible(user=user).order_by("name").values_list("id", "name")
    return FilterChoices(
        categories=categories,
        channels=channels,
        owners=owner_choices(user=user),
        accounts=list(accounts[:accounts_max]),
    )


def owner_choices(*, user: User) -> list[User]:
    """The team members a list can be narrowed to as owner."""
    return list(User.objects.filter(is_active=True).order_by("first_name", "username"))


def customer_detail(*, user: User, customer_id: int) -> Customer:
    """One customer with everything their page shows beside the timeline.

    Raises ``Customer.DoesNotExist`` when there is none (or the user may not see it).
    """
    return (
        customers_visible(user=user)
        .select_related("account", "owner")
        .prefetch_related(
            Prefetch("team", queryset=User.objects.order_by("first_name", "username")),
            "subscriptions",
            "special_dates",
            "consents",
        )
        .get(pk=customer_id)
    )


def customer_key_figures(*, customer: Customer) -> KeyFigures:
    """First and last order, number of completed orders, revenue and average order value.

    Read from the customer's cached figures (kept fresh by ``customer_stats_refresh``), so a
    page never aggregates the order table.
    """
    return KeyFigures(
        first_order_at=customer.first_order_at,
        last_order_at=customer.last_order_at,
        orders_count=customer.orders_count,
        revenue=customer.revenue,
        average_order_value=customer.average_order_value,
    )


def account_list(*, filters: AccountFilterSet) -> QuerySet[Account]:
    """The accounts ``filters`` choose, sorted (by name unless told), each with its number of
    customers and their revenue. Raises ``InvalidFilters``.

    The two figures are correlated subqueries, so they are computed for the rows of the page
    only, not for every account.
    """
    accounts = filters.in_default_order(filters.filtered())
    of_account = Customer.objects.filter(account=OuterRef("pk")).order_by().values("account")
    money = DecimalField(max_digits=16, decimal_places=2)
    return accounts.select_related("owner", "health").annotate(
        customers_count=Coalesce(Subquery(of_account.annotate(n=Count("*")).values("n")), Value(0)),
        customers_revenue=Coalesce(
            Subquery(of_account.annotate(total=Sum("revenue")).values("total")),
            Value(Decimal("0")),
            output_field=money,
        ),
    )


def account_industries(*, user: User) -> list[str]:
    industries = accounts_visible(user=user).exclude(industry="").order_by()
    return sorted(industries.values_list("industry", flat=True).distinct())


def account_detail(*, user: User, account_id: int) -> Account:
    """One account with its owner, team and contacts. Raises ``Account.DoesNotExist``."""
    return (
        accounts_visible(user=user)
        .select_related("owner")
        .prefetch_related(
            Prefetch("team", queryset=User.objects.order_by("first_name", "username")),
            "contacts",
        )
        .get(pk=account_id)
    )


def account_customers(*, user: User, account: Account) -> QuerySet[Customer]:
    """The account's customers, biggest spenders first."""
    return (
        customers_visible(user=user)
        .filter(account=account)
        .select_related("owner")
        .order_by("-revenue", "id")
    )
