"""Writes for the conversation with customers and accounts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.access import AccessDenied, require, visible
from tenure.access.records import record_for_change, record_save, reject_unknown_fields
from tenure.customers.models import Account, Contact, Customer
from tenure.domain.access import Action
from tenure.history.models import TrashItem
from tenure.history.trash import trash_put
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction, InteractionKind
from tenure.users.models import User

# A meeting may be logged ahead of time, but an entry years in the future is a typo that would
# sit on top of the timeline for good.
FUTURE_TOLERANCE = timedelta(days=366)


def _check_may_change(user: User, *, customer: Customer | None, account: Account | None) -> None:
    require(user, Action.CHANGE)
    if (
        customer is not None
        and not visible(user, Customer, Action.CHANGE).filter(pk=customer.pk).exists()
    ):
        raise AccessDenied("you may not change this customer")
    if (
        account is not None
        and not visible(user, Account, Action.CHANGE).filter(pk=account.pk).exists()
    ):
        raise AccessDenied("you may not change this account")


def interaction_log(
    *,
    author: User | None,
    customer: Customer | None,
    kind: str,
    occurred_at: datetime,
    subject: str = "",
    body: str = "",
    status: str = "",
    account: Account | None = None,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Record a call, meeting, email, note, complaint or ticket with a customer or an account.

    Complaints and tickets are cases: they start ``open`` unless a status is given; other kinds
    never have a status. Raises ``ValidationError`` with a message per field, and
    ``AccessDenied`` when the author's role may not change this customer or account
    (``author=None`` is the operator or an import, who may).
    """
    if author is not None:
        _check_may_change(author, customer=customer, account=account)
    now = now or timezone.now()
    subject, body = subject.strip(), body.strip()
    errors: dict[str, str] = {}
    if customer is None and account is None:
        errors["customer"] = "An interaction belongs to a customer or an account."
    if kind not in InteractionKind.values:
        errors["kind"] = f"Choose one of: {', '.join(InteractionKind.labels)}."
    if timezone.is_naive(occurred_at):
        errors["occurred_at"] = "The time needs a time zone."
    elif occurred_at > now + FUTURE_TOLERANCE:
        errors["occurred_at"] = "That is more than a year in the future."
    if not subject and not body:
        errors["body"] = "Write a subject or a note: what happened?"
    if kind in CASE_KINDS:
        status = status or CaseStatus.OPEN
        if status not in CaseStatus.values:
            errors["status"] = f"Choose one of: {', '.join(CaseStatus.labels)}."
    elif status:
        errors["status"] = "Only complaints and support tickets have a status."
    if contact is not None and contact.account_id not in {
        account.pk if account else None,
        customer.account_id if customer else None,
    }:
        errors["contact"] = "That contact belongs to another account."
    if errors:
        raise ValidationError(errors)

    interaction = Interaction(
        customer=customer,
        account=account,
        contact=contact,
        author=author,
        kind=kind,
        occurred_at=occurred_at,
        subject=subject,
        body=body,
        status=status,
        resolved_at=now if status == CaseStatus.RESOLVED else None,
    )
    interaction.full_clean()
    interaction.save()  # its events: tenure.interactions.events
    return interaction


INTERACTION_CHANGES = frozenset({"subject", "body", "status", "resolution", "occurred_at"})


@transaction.atomic
def interaction_update(
    *, by: User | None = None, interaction_id: int, changes: Mapping[str, Any]
) -> Interaction:
    """Edit an entry, or move a case along: resolving it stamps ``resolved_at``."""
    reject_unknown_fields(changes, INTERACTION_CHANGES)
    interaction = record_for_change(by, Interaction, interaction_id)
    for name, value in changes.items():
        setattr(interaction, name, value)
    if interaction.is_case and interaction.status == CaseStatus.RESOLVED:
        interaction.resolved_at = interaction.resolved_at or timezone.now()
    else:
        interaction.resolved_at = None
    record_save(interaction)
    return interaction


@transaction.atomic
def interaction_delete(*, by: User | None = None, interaction_id: int) -> TrashItem:
    """Move an entry to the 30-day trash (its ``interaction.deleted`` event as for any delete);
    a restore brings it back with its id (``tenure.bulk``)."""
    interaction = record_for_change(by, Interaction, interaction_id)
    return trash_put(record=interaction, by=by, now=timezone.now())
