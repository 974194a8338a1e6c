"""Reads for the whole customer team: each account's contacts with their last interaction and
the team members who looked after it, judged by ``tenure.domain.relationship``.

An account's interactions are those logged on it or on any of its customers. Its team in the
window is its owner and every author of such an interaction in the last ``days`` days.
Set-wise: one query for the contacts' last interactions, one for the authors, whatever the
number of accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tenure.access import visible
from tenure.customers.models import Account, Contact, Customer
from tenure.domain.relationship import ENGAGED_DAYS, ContactSeen, Relationship, relationship_read
from tenure.interactions.models import Interaction
from tenure.users.models import User


@dataclass(frozen=True)
class ThreadRow:
    account: Account
    value: Decimal
    relationship: Relationship


def _relationships(
    accounts: Sequence[Account], scope: Any, now: datetime, days: int
) -> dict[int, Relationship]:
    """``scope``: the accounts' ids as a list or a subquery (no long IN list for a book)."""
    ids = [a.pk for a in accounts]
    last = dict(
        Interaction.objects.filter(contact__account_id__in=scope, occurred_at__lte=now)
        .order_by()
        .values("contact_id")
        .annotate(last=Max("occurred_at"))
        .values_list("contact_id", "last")
    )
    contacts: dict[int, list[ContactSeen]] = {pk: [] for pk in ids}
    for contact in Contact.objects.filter(account_id__in=scope).order_by("pk"):
        contacts[contact.account_id].append(
            ContactSeen(str(contact), contact.role, contact.is_primary, last.get(contact.pk))
        )
    window = Q(occurred_at__gt=now - timedelta(days=days), occurred_at__lte=now)
    authors = (
        Interaction.objects.filter(
            window,
            Q(account_id__in=scope) | Q(customer__account_id__in=scope),
            author__isnull=False,
        )
        .order_by()
        .values_list(Coalesce("account_id", "customer__account_id"), "author_id")
        .distinct()
    )
    pairs = list(authors)
    names = {
        user.pk: str(user)
        for user in User.objects.filter(
            pk__in={a for _, a in pairs} | {a.owner_id for a in accounts if a.owner_id}
        )
    }
    team: dict[int, list[str]] = {pk: [] for pk in ids}
    for account in accounts:
        if account.owner_id:
            team[account.pk].append(names[account.owner_id])
    for account_id, author_id in sorted(pairs, key=lambda p: (p[0], names[p[1]])):
        team[account_id].append(names[author_id])
    return {
        pk: relationship_read(contacts=contacts[pk], team_members=team[pk], now=now, days=days)
        for pk in ids
    }


def account_relationship(
    *, account: Account, now: datetime, days: int = ENGAGED_DAYS
) -> Relationship:
    """One account's relationship (the account page's cockpit)."""
    return _relationships([account], [account.pk], now, days)[account.pk]


def single_threaded_accounts(
    *, user: User, now: datetime, days: int = ENGAGED_DAYS
) -> list[ThreadRow]:
    """The accounts ``user`` sees whose relationship rests on one contact or one team member,
    the most valuable first (their customers' revenue), then by name."""
    revenue = (
        Customer.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("revenue"))
        .values("total")
    )
    scope = visible(user, Account)
    accounts = list(
        scope.select_related("owner")
        .annotate(value=Coalesce(Subquery(revenue), Value(Decimal("0"))))
        .order_by("-value", "name", "pk")
    )
    judged = _relationships(accounts, scope.values("pk"), now, days)
    return [
        ThreadRow(account, account.value, judged[account.pk])
        for account in accounts
        if judged[account.pk].single_threaded
    ]
