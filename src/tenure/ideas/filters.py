"""The ideas board's filters, declared once (``tenure.access.filtering``): the page and the
API filter through it; the page sorts by what the ideas weigh (``selectors.ideas_weighed``)."""

from __future__ import annotations

from typing import Any, Self

import django_filters
from django.db.models import QuerySet

from tenure.access.filtering import ListFilterSet, SortFilter
from tenure.ideas.models import Idea, IdeaStatus
from tenure.ideas.selectors import ideas_weighed

IDEA_SORTS = {
    "customers": ("customers", "id"),
    "revenue": ("revenue", "id"),
    "clv": ("clv", "id"),
    "created": ("created_at", "id"),
    "title": ("title", "id"),
}


class IdeaFilterSet(ListFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IdeaStatus.choices)
    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=200, strip=True,
        help_text="words of the title",
    )  # fmt: skip
    merged = django_filters.BooleanFilter(
        field_name="merged_into", lookup_expr="isnull", exclude=True,
        help_text="true: only ideas merged into another; false: only those not merged",
    )  # fmt: skip
    sort = SortFilter(sorts=IDEA_SORTS)

    default_sort = "-customers"

    class Meta(ListFilterSet.Meta):
        model = Idea
        fields: list[str] = []

    @classmethod
    def of(cls, user: Any, data: Any) -> Self:
        filters = super().of(user, data)
        filters.queryset = ideas_weighed(user, filters.queryset)
        return filters

    def for_page(self) -> QuerySet[Idea]:
        return self.in_default_order(self.filtered())
