"""The onboardings list's filters, declared once (``tenure.access.filtering``): the page
``/onboarding/``, ``GET /api/v1/onboardings`` and ``tenure onboarding list`` narrow through it.

Onboardings are reached through their account or customer (``selectors.onboardings_visible``:
a success manager their book's), so ``of`` starts from there rather than from the access
table's rules for the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.success.models import Onboarding
from tenure.success.selectors import (
    onboarding_ids_open,
    onboarding_ids_overdue,
    onboardings_visible,
)

STATUSES = (("in_progress", "In progress"), ("completed", "Completed"))


class OnboardingFilterSet(ListFilterSet):
    owner_id = IdFilter(method="of_owner", help_text="the account's or customer's owner")
    overdue = django_filters.BooleanFilter(
        method="keep_overdue", help_text="with a step open past its due date (or none)"
    )
    template_id = IdFilter(help_text="started from this checklist")
    account_id = IdFilter()
    customer_id = IdFilter()
    status = django_filters.ChoiceFilter(
        choices=STATUSES, method="keep_status", help_text="a step still open, or every step done"
    )

    class Meta(ListFilterSet.Meta):
        model = Onboarding
        fields: list[str] = []

    @classmethod
    def of(cls, user: Any, data: Mapping[str, Any] | None) -> Self:
        filters = cls(data, onboardings_visible(user))
        filters.user = user
        return filters

    def of_owner(
        self, onboardings: QuerySet[Onboarding], name: str, owner_id: int
    ) -> QuerySet[Onboarding]:
        return onboardings.filter(Q(account__owner_id=owner_id) | Q(customer__owner_id=owner_id))

    def keep_overdue(
        self, onboardings: QuerySet[Onboarding], name: str, overdue: bool | None
    ) -> QuerySet[Onboarding]:
        if overdue is None:
            return onboardings
        late = onboarding_ids_overdue(timezone.localdate())
        return onboardings.filter(pk__in=late) if overdue else onboardings.exclude(pk__in=late)

    def keep_status(
        self, onboardings: QuerySet[Onboarding], name: str, status: str
    ) -> QuerySet[Onboarding]:
        if not status:
            return onboardings
        running = onboarding_ids_open()
        if status == "in_progress":
            return onboardings.filter(pk__in=running)
        return onboardings.exclude(pk__in=running)
