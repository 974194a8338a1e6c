"""The customer page's "Ideas" card and the account page's "Appreciation" card, read where
they are shown (one include each, no view change)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def ideas_of(user: Any, customer: Any) -> list[Any]:
    from tenure.ideas.selectors import customer_idea_requests

    return customer_idea_requests(user=user, customer_id=customer.pk)


@register.simple_tag
def appreciations_of(user: Any, account: Any) -> Any:
    from tenure.success.appreciation import account_appreciations

    return account_appreciations(user=user, account_id=account.pk, today=timezone.localdate())
