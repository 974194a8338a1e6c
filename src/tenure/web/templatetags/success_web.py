"""The account page's "Onboarding" and "Success plan" cards, read where they are shown (one
include, no view change)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def onboardings_of(user: Any, account: Any) -> list[Any]:
    from tenure.success.selectors import account_onboardings

    return account_onboardings(user=user, account_id=account.pk, today=timezone.localdate())


@register.simple_tag
def success_plan_of(user: Any, account: Any) -> Any:
    from tenure.success.selectors import account_plan

    return account_plan(user=user, account_id=account.pk)


@register.simple_tag
def account_checklists() -> list[Any]:
    """The active checklists for accounts, for the account page's "Start a checklist"."""
    from tenure.success.models import AppliesTo
    from tenure.success.selectors import checklist_templates

    return checklist_templates(applies_to=AppliesTo.ACCOUNT, active=True)
