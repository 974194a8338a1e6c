"""The filters of the customers, accounts, contacts and subscriptions lists, each declared once
for the pages, the API and the exports (``tenure.access.filtering``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
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
    # The facts of the apps above (lifecycle, insights), by relation name: their tables'
    # indexes lead with the value, but a customer without a row must still be listed, so the
    # database sorts the joined rows rather than walking an index (measured in ARCHITECTURE.md).
    "health": ("health__score", "id"),
    "clv": ("prediction__predicted_clv_365", "id"),
    "churn_risk": ("prediction__churn_risk", "id"),
}
ACCOUNT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "since": ("created_at", "id"),
    "health": ("health__score", "id"),
}
# Health bands as the lifecycle app stores them (``tenure.domain.health``'s default bands).
HEALTH_BANDS = [("red", "Red"), ("yellow", "Yellow"), ("green", "Green")]
STAGE_MAX_LENGTH = 60
STAGES_MAX = 20
MONEY_MAX = Decimal("999999999999.99")  # the predictions' DecimalField(14, 2)
SEARCH_TERMS_MAX = 5
SEARCH_MAX_LENGTH = 200
SEARCH_IDS_MAX = 2000


def search_terms(q: str) -> list[str]:
    return q.split()[:SEARCH_TERMS_MAX]


class TextListField(forms.Field):
    """Several text values of one query parameter (``?stage=new&stage=loyal``), each no longer
    than the column compared with: the stage keys are the active definition's, which an admin
    may rename, so any key is accepted (an unknown one matches nobody)."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if value in (None, "", []):
            return []
        values = [value] if isinstance(value, str) else list(value)
        found = [str(item).strip() for item in values if str(item).strip()]
        if len(found) > STAGES_MAX:
            raise forms.ValidationError(f"at most {STAGES_MAX} values")
        for item in found:
            if len(item) > STAGE_MAX_LENGTH:
                raise forms.ValidationError(
                    f"a value has at most {STAGE_MAX_LENGTH} characters ({len(item)} given)"
                )
        return found


class TextListFilter(django_filters.Filter):
    field_class = TextListField

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


def _decimal_filter(field: str, lookup: str, help_text: str, **limits: Any) -> Any:
    return django_filters.NumberFilter(
        field_name=field, lookup_expr=lookup, help_text=help_text, **limits
    )


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
    # What the apps above concluded, reached by relation name (customers sit below them): the
    # stage (lifecycle), the health band, and the latest fit's predictions (insights).
    stage = TextListFilter(
        field_name="lifecycle_stage__stage", help_text="in one of these stages (keys; repeat)"
    )
    health = django_filters.ChoiceFilter(
        field_name="health__band", choices=HEALTH_BANDS, help_text="health band now"
    )
    clv_min = _decimal_filter(
        "prediction__predicted_clv_365", "gte", "predicted CLV at least",
        min_value=0, max_value=MONEY_MAX, max_digits=14, decimal_places=2,
    )  # fmt: skip
    clv_max = _decimal_filter(
        "prediction__predicted_clv_365", "lte", "predicted CLV at most",
        min_value=0, max_value=MONEY_MAX, max_digits=14, decimal_places=2,
    )  # fmt: skip
    churn_risk_min = _decimal_filter(
        "prediction__churn_risk", "gte", "churn risk (0-1, the chosen ranking's) at least",
        min_value=0, max_value=1, max_digits=5, decimal_places=4,
    )  # fmt: skip
    # A time without an offset is the business's wall time, as in the orders' filters.
    last_order_after = django_filters.IsoDateTimeFilter(
        field_name="last_order_at", lookup_expr="gte", help_text="last order at or after"
    )
    last_order_before = django_filters.IsoDateTimeFilter(
        field_name="last_order_at", lookup_expr="lt", help_text="last order before"
    )
    sort = SortFilter(
        sorts=CUSTOMER_SORTS,
        nullable=frozenset(
            {"last_order_at", "health__score", "prediction__predicted_clv_365",
             "prediction__churn_risk"}
        ),
    )  # fmt: skip
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
    health = django_filters.ChoiceFilter(
        field_name="health__band", choices=HEALTH_BANDS, help_text="the account's health band now"
    )
    sort = SortFilter(sorts=ACCOUNT_SORTS, nullable=frozenset({"health__score"}))
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
