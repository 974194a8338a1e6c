"""Reads for the conversation with customers and accounts."""

from __future__ import annotations

from tenure.access import visible
from tenure.customers.models import Account
from tenure.interactions.models import Interaction
from tenure.users.models import User


def account_interactions(*, user: User, account: Account, limit: int = 20) -> list[Interaction]:
    """The newest ``limit`` interactions with the account itself or with any of its customers.

    Two index walks (``interaction_account``, and ``interaction_customer`` per customer of the
    account) merged here: one query with ``account = x OR customer.account = x`` cannot use
    either index and reads every interaction.
    """
    interactions = visible(user, Interaction).select_related("author", "customer", "contact")
    newest = ("-occurred_at", "-id")
    direct = interactions.filter(account=account).order_by(*newest)[:limit]
    via_customers = interactions.filter(customer__account=account).order_by(*newest)[:limit]
    merged = {interaction.pk: interaction for interaction in [*direct, *via_customers]}
    return sorted(merged.values(), key=lambda i: (i.occurred_at, i.pk), reverse=True)[:limit]
