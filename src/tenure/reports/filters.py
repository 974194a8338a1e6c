"""The agency metrics' list filters, declared once (``tenure.access.filtering``). A metric is
seen through its account: a success manager reads their book's accounts' metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import django_filters

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.reports.models import AccountMetric
from tenure.reports.selectors import account_metrics_visible


class AccountMetricFilterSet(ListFilterSet):
    account_id = IdFilter()
    metric = django_filters.CharFilter(max_length=100)
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte")
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte")

    class Meta(ListFilterSet.Meta):
        model = AccountMetric
        fields: list[str] = []

    @classmethod
    def of(cls, user: Any, data: Mapping[str, Any] | None) -> Self:
        filters = cls(data, account_metrics_visible(user))
        filters.user = user
        return filters
