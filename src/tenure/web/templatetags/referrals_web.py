"""The customer page's "Referrals" card, read where it is shown (one include, no view change)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def referrals_of(user: Any, customer: Any) -> Any:
    from tenure.referrals.selectors import customer_referrals

    return customer_referrals(user=user, customer_id=customer.pk, limit=10)


@register.simple_tag
def may_change_referrals(user: Any) -> bool:
    from tenure.access import may
    from tenure.domain.access import Action

    return may(user, Action.CHANGE)


@register.simple_tag
def sees_every_customer(user: Any) -> bool:
    """Names of the other side are shown to the roles that see every customer; a success
    manager sees ids (the other side may be outside their book)."""
    from tenure.access import sees_all

    return sees_all(user)
