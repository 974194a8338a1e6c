"""The interactions list's filters, declared once (``tenure.access.filtering``)."""

from __future__ import annotations

import django_filters

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind


class InteractionFilterSet(ListFilterSet):
    customer_id = IdFilter()
    account_id = IdFilter()
    kind = django_filters.ChoiceFilter(choices=InteractionKind.choices)
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)

    class Meta(ListFilterSet.Meta):
        model = Interaction
        fields: list[str] = []
