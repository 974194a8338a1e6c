"""The filters of the customers, accounts, contacts and subscriptions lists, each declared once
for the pages, the API and the exports (``tenure.access.filtering``)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.apps import apps
from django.db.models import Q, QuerySet

from tenure.access import visible
from tenure.access.filtering import (
    IdFilter,
    ListFilterSet,
    SortColumn,
    SortFilter,
    TextFilter,
    order_terms,
)
from tenure.customers.models import (
    Account,
    BudgetBand,
    Contact,
    ContactRole,
    Customer,
    SizeBand,
    Subscription,
)

# What a list may be sorted by: the name shown in the URL -> the columns, each backed by an
# index of the model so that a page of 100,000 customers is an index walk, not a sort.
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name", "id"),
    "last_order": ("last_order_at", "id"),
    "revenue": ("revenue", "id"),
    "orders": ("orders_count", "id"),
    "since": ("created_at", "id"),
}
ACCOUNT_SORTS: dict[str, tuple[str, ...]] = {"name": ("name", "id"), "since": ("created_at", "id")}
SEARCH_TERMS_MAX = 5
SEARCH_MAX_LENGTH = 200
SEARCH_IDS_MAX = 2000


def search_terms(q: str) -> list[str]:
    return q.split()[:SEARCH_TERMS_MAX]


class CustomerFilterSet(ListFilterSet):
    category = TextFilter(max_length=60)
    channel = TextFilter(max_length=60)
    owner_id = IdFilter()
    account_id = IdFilter()
    in_segment = IdFilter(
        method="segment_members", help_text="the members of this segment (its id) now"
    )
    q = django_filters.CharFilter(
        max_length=SEARCH_MAX_LENGTH, method="search", help_text="words matched against name, "
        "email, id",
    )  # fmt: skip
    sort = SortFilter(sorts=CUSTOMER_SORTS, nullable=frozenset({"last_order_at"}))
    default_sort = "name"

    class Meta(ListFilterSet.Meta):
        model = Customer
        fields: list[str] = []

    few_matches = False

    def segment_members(
        self, customers: QuerySet[Customer], name: str, segment_id: int
    ) -> QuerySet[Customer]:
        """Narrow to the segment's members now. A segment the user may not see has none, as
        one that does not exist (segments sit above this app: they are named by label)."""
        segments = apps.get_model("segments", "Segment")._default_manager.all()
        if self.user is not None:
            segments = visible(self.user, segments)
        stays = apps.get_model("segments", "SegmentMembership")._default_manager.filter(
            segment_id=segment_id,
            segment_id__in=segments.values("pk"),
            left_at__isnull=True,
        )
        return customers.filter(pk__in=stays.values("customer_id"))

    def search(self, customers: QuerySet[Customer], name: str, q: str) -> QuerySet[Customer]:
        """Narrow to those matching every word of ``q`` in name, email or external id.

        A substring search reads every row (no index serves ``LIKE '%word%'``). Asked with an
        ORDER BY and a LIMIT, the database may instead walk the sort's index and test each row
        on the way, which for a rare word means visiting all 100,000 rows in index order. So
        the matching ids are collected first in one plain scan and the page is sorted from
        those ids alone (``few_matches``). A word so common that more than ``SEARCH_IDS_MAX``
        rows match goes the ordinary way: its matches are dense, so an index walk finds a page
        quickly. (Filters run in declaration order: the others come after the search, on the
        rows the others left.)
        """
        terms = search_terms(q)
        for term in terms:
            customers = customers.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
                | Q(external_id__icontains=term)
            )
        if not terms:
            return customers
        ids = list(customers.order_by().values_list("pk", flat=True)[: SEARCH_IDS_MAX + 1])
        if len(ids) > SEARCH_IDS_MAX:
            return customers
        self.few_matches = True
        return customers.model._default_manager.filter(pk__in=ids)

    def order(self, queryset: QuerySet[Any], columns: list[SortColumn]) -> QuerySet[Any]:
        return queryset.order_by(*order_terms(columns, by_index=not self.few_matches))


class AccountFilterSet(ListFilterSet):
    q = django_filters.CharFilter(
        max_length=SEARCH_MAX_LENGTH, method="search", help_text="matched against name and "
        "industry",
    )  # fmt: skip
    industry = TextFilter(max_length=100)
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices)
    budget_band = django_filters.ChoiceFilter(choices=BudgetBand.choices)
    owner_id = IdFilter()
    sort = SortFilter(sorts=ACCOUNT_SORTS)
    default_sort = "name"

    class Meta(ListFilterSet.Meta):
        model = Account
        fields: list[str] = []

    def search(self, accounts: QuerySet[Account], name: str, q: str) -> QuerySet[Account]:
        for term in search_terms(q):
            accounts = accounts.filter(Q(name__icontains=term) | Q(industry__icontains=term))
        return accounts


class ContactFilterSet(ListFilterSet):
    account_id = IdFilter()
    role = django_filters.ChoiceFilter(choices=ContactRole.choices)

    class Meta(ListFilterSet.Meta):
        model = Contact
        fields: list[str] = []


class SubscriptionFilterSet(ListFilterSet):
    customer_id = IdFilter()
    active = django_filters.BooleanFilter(
        field_name="cancelled_at", lookup_expr="isnull", help_text="true: not cancelled"
    )

    class Meta(ListFilterSet.Meta):
        model = Subscription
        fields: list[str] = []
