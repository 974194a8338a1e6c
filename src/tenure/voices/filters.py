"""The voices list's filters, declared once (``tenure.access.filtering``): the page
``/feedback/voices/`` and ``GET /api/v1/voices`` both narrow through this FilterSet; the
feedback forms' for ``GET /api/v1/feedback-forms``."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from tenure.access.filtering import IdFilter, ListFilterSet, TextFilter
from tenure.voices.models import FeedbackForm, SourceKind, Voice


class VoiceFilterSet(ListFilterSet):
    source_kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    source_name = TextFilter(max_length=100)
    customer_id = IdFilter()
    account_id = IdFilter()
    rating_min = django_filters.NumberFilter(
        field_name="rating", lookup_expr="gte", min_value=0, max_value=100
    )
    rating_max = django_filters.NumberFilter(
        field_name="rating", lookup_expr="lte", min_value=0, max_value=100
    )
    rated = django_filters.BooleanFilter(field_name="rating", lookup_expr="isnull", exclude=True)
    matched = django_filters.BooleanFilter(method="keep_matched")
    published_after = django_filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = django_filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="lt")

    class Meta(ListFilterSet.Meta):
        model = Voice
        fields: list[str] = []

    def keep_matched(self, voices: QuerySet[Voice], name: str, matched: bool) -> QuerySet[Voice]:
        return voices.filter(customer__isnull=not matched)


class FeedbackFormFilterSet(ListFilterSet):
    active = django_filters.BooleanFilter()
    slug = TextFilter(max_length=60)

    class Meta(ListFilterSet.Meta):
        model = FeedbackForm
        fields: list[str] = []
