"""The customer and account pages' "Survey trend" card and the account cockpit's relationship
flag, read where they are shown (one include each, no view change)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def survey_trend_of(user: Any, customer: Any = None, account: Any = None) -> dict[str, Any]:
    """NPS and CSAT by quarter of the customer, or of the account's customers ``user`` sees."""
    from tenure.access import visible
    from tenure.customers.models import Customer
    from tenure.feedback.trend_selectors import survey_trend_card

    customers = visible(user, Customer)
    customers = (
        customers.filter(pk=customer.pk)
        if customer is not None
        else customers.filter(account=account)
    )
    return survey_trend_card(user=user, customers=customers, now=timezone.now())


@register.simple_tag
def relationship_of(account: Any) -> Any:
    """Whether the account's relationship rests on one contact or one team member."""
    from tenure.interactions.relationship_selectors import account_relationship

    return account_relationship(account=account, now=timezone.now())
