"""The customer page's "Points" card, read where it is shown (one include, no view change)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def points_of(user: Any, customer: Any) -> Any:
    from tenure.loyalty.selectors import customer_points

    return customer_points(user=user, customer_id=customer.pk, limit=10)


@register.simple_tag
def may_adjust(user: Any) -> bool:
    from tenure.access import sees_all
    from tenure.domain.access import Action

    return sees_all(user, Action.CHANGE)
