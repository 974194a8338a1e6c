"""The appreciations list's filters, declared once (``tenure.access.filtering``): the page
and the API filter through it."""

from __future__ import annotations

import django_filters

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.success.models import Appreciation, AppreciationKind


class AppreciationFilterSet(ListFilterSet):
    account_id = IdFilter()
    customer_id = IdFilter()
    kind = django_filters.ChoiceFilter(choices=AppreciationKind.choices)
    given_by = IdFilter(field_name="given_by_id", help_text="who gave it (a team member's id)")
    owner = IdFilter(field_name="account__owner_id", help_text="the account's owner")
    given_after = django_filters.DateFilter(field_name="given_on", lookup_expr="gte")
    given_before = django_filters.DateFilter(field_name="given_on", lookup_expr="lte")

    class Meta(ListFilterSet.Meta):
        model = Appreciation
        fields: list[str] = []
