"""Writes for accounts, contacts, customers and subscriptions.

Services that act for a person take ``by`` (the user) and check the role policy through
`tenure.access`, so the web app, the API and the admin get the same answer. ``by=None`` is the
operator at the command line, who may do everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.access import visible
from tenure.access.records import (
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Account, Consent, Contact, Customer, Subscription
from tenure.domain.access import Action, Role
from tenure.domain.errors import Conflict
from tenure.history.models import TrashItem
from tenure.history.trash import trash_put
from tenure.users.models import User

CUSTOMER_FIELDS = frozenset(
    {
        "external_id", "first_name", "last_name", "email", "phone", "birthday", "time_zone",
        "channel", "category", "account_id", "owner_id", "custom_attributes", "created_at",
    }
)  # fmt: skip
ACCOUNT_FIELDS = frozenset(
    {"name", "industry", "size_band", "budget_band", "website", "custom_attributes",
     "owner_id", "created_at"}
)  # fmt: skip
CONTACT_FIELDS = frozenset(
    {"account_id", "first_name", "last_name", "email", "phone", "title", "role", "is_primary",
     "notes", "receives_reports"}
)  # fmt: skip
SUBSCRIPTION_FIELDS = frozenset(
    {"external_id", "customer_id", "plan", "amount", "currency", "interval", "started_at",
     "renews_at", "cancelled_at", "cancellation_reason"}
)  # fmt: skip


def check_references(by: User | None, fields: Mapping[str, Any]) -> None:
    """Referenced accounts, customers and contacts must be ones ``by`` may change; owners must
    be active team members. Each problem is reported on its field, in the same words whether
    the record does not exist or is outside ``by``'s scope."""
    errors: dict[str, list[str]] = {}
    references = (("account_id", Account), ("customer_id", Customer), ("contact_id", Contact))
    for name, model in references:
        pk = fields.get(name)
        if pk is None:
            continue
        candidates = (
            model._default_manager.all() if by is None else visible(by, model, Action.CHANGE)
        )
        if not candidates.filter(pk=pk).exists():
            errors[name] = [f"no {model._meta.verbose_name} with id {pk}"]
    owner_id = fields.get("owner_id")
    if owner_id is not None and not User.objects.filter(pk=owner_id, is_active=True).exists():
        errors["owner_id"] = [f"no active user with id {owner_id}"]
    if errors:
        raise ValidationError(errors)


def _owned_by_default(by: User | None, fields: dict[str, Any]) -> None:
    # A success manager who creates a record owns it unless they name another owner, so that
    # they can still see what they created.
    if by is not None and by.role == Role.SUCCESS_MANAGER and fields.get("owner_id") is None:
        fields["owner_id"] = by.pk


def _apply(instance: Any, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


# --- customers -------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *, by: User | None = None, external_id: str, created_at: datetime | None = None, **fields: Any
) -> Customer:
    """Create a customer; ``created_at`` (customer since) defaults to now."""
    require_change(by)
    reject_unknown_fields(fields, CUSTOMER_FIELDS)
    _owned_by_default(by, fields)
    check_references(by, fields)
    customer = Customer(external_id=external_id, created_at=created_at or timezone.now(), **fields)
    record_save(customer)
    return customer


@transaction.atomic
def customer_update(
    *, by: User | None = None, customer_id: int, changes: Mapping[str, Any]
) -> Customer:
    """Change the given fields of a customer the user may change (404 otherwise)."""
    reject_unknown_fields(changes, CUSTOMER_FIELDS)
    customer = record_for_change(by, Customer, customer_id)
    check_references(by, changes)
    _apply(customer, changes)
    record_save(customer)
    return customer


@transaction.atomic
def customer_delete(*, by: User | None = None, customer_id: int) -> TrashItem:
    """Delete a customer without orders (orders are history: refund or keep them instead);
    it is kept 30 days in the trash, from where it can be restored."""
    customer = record_for_change(by, Customer, customer_id)
    if customer.orders.exists():
        raise Conflict("this customer has orders; orders are kept as history, so keep the customer")
    return trash_put(record=customer, by=by, now=timezone.now())


@transaction.atomic
def customer_team_set(*, by: User | None = None, customer_id: int, user_ids: list[int]) -> None:
    """Replace the team members attached to a customer."""
    customer = record_for_change(by, Customer, customer_id)
    customer.team.set(_active_users(user_ids))


def _active_users(user_ids: list[int]) -> list[User]:
    members = list(User.objects.filter(pk__in=user_ids, is_active=True))
    missing = set(user_ids) - {member.pk for member in members}
    if missing:
        raise ValidationError(
            {"team_ids": [f"no active user with id {i}" for i in sorted(missing)]}
        )
    return members


# --- accounts ----------------------------------------------------------------------------------


@transaction.atomic
def account_create(*, by: User | None = None, **fields: Any) -> Account:
    require_change(by)
    reject_unknown_fields(fields, ACCOUNT_FIELDS)
    _owned_by_default(by, fields)
    check_references(by, fields)
    fields.setdefault("created_at", None)
    fields["created_at"] = fields["created_at"] or timezone.now()
    account = Account(**fields)
    record_save(account)
    return account


@transaction.atomic
def account_update(
    *, by: User | None = None, account_id: int, changes: Mapping[str, Any]
) -> Account:
    reject_unknown_fields(changes, ACCOUNT_FIELDS)
    account = record_for_change(by, Account, account_id)
    check_references(by, changes)
    _apply(account, changes)
    record_save(account)
    return account


@transaction.atomic
def account_delete(*, by: User | None = None, account_id: int) -> TrashItem:
    """Delete an account; its customers stay (without account), its contacts go with it;
    kept 30 days in the trash, which gives the customers their account back on a restore."""
    return trash_put(record=record_for_change(by, Account, account_id), by=by, now=timezone.now())


@transaction.atomic
def account_team_set(*, by: User | None = None, account_id: int, user_ids: list[int]) -> None:
    account = record_for_change(by, Account, account_id)
    account.team.set(_active_users(user_ids))


# --- contacts ----------------------------------------------------------------------------------


def _contact_save(contact: Contact) -> None:
    if contact.is_primary:
        # One primary contact per account: naming a new one demotes the old one.
        Contact.objects.filter(account_id=contact.account_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)
    record_save(contact)


@transaction.atomic
def contact_create(*, by: User | None = None, **fields: Any) -> Contact:
    require_change(by)
    reject_unknown_fields(fields, CONTACT_FIELDS)
    if fields.get("account_id") is None:
        raise ValidationError({"account_id": ["a contact belongs to an account"]})
    check_references(by, fields)
    contact = Contact(**fields)
    _contact_save(contact)
    return contact


@transaction.atomic
def contact_update(
    *, by: User | None = None, contact_id: int, changes: Mapping[str, Any]
) -> Contact:
    reject_unknown_fields(changes, CONTACT_FIELDS)
    contact = record_for_change(by, Contact, contact_id)
    check_references(by, changes)
    _apply(contact, changes)
    _contact_save(contact)
    return contact


@transaction.atomic
def contact_delete(*, by: User | None = None, contact_id: int) -> TrashItem:
    """Delete a contact; kept 30 days in the trash, which gives the interactions logged with
    them their contact back on a restore."""
    return trash_put(record=record_for_change(by, Contact, contact_id), by=by, now=timezone.now())


# --- subscriptions -----------------------------------------------------------------------------


@transaction.atomic
def subscription_create(*, by: User | None = None, **fields: Any) -> Subscription:
    require_change(by)
    reject_unknown_fields(fields, SUBSCRIPTION_FIELDS)
    if fields.get("customer_id") is None:
        raise ValidationError({"customer_id": ["a subscription belongs to a customer"]})
    check_references(by, fields)
    subscription = Subscription(**fields)
    record_save(subscription)
    return subscription


@transaction.atomic
def subscription_update(
    *, by: User | None = None, subscription_id: int, changes: Mapping[str, Any]
) -> Subscription:
    reject_unknown_fields(changes, SUBSCRIPTION_FIELDS)
    subscription = record_for_change(by, Subscription, subscription_id)
    check_references(by, changes)
    _apply(subscription, changes)
    record_save(subscription)
    return subscription


@transaction.atomic
def subscription_delete(*, by: User | None = None, subscription_id: int) -> TrashItem:
    """Delete a subscription (its ``subscription.deleted`` event as for any delete); kept 30
    days in the trash."""
    subscription = record_for_change(by, Subscription, subscription_id)
    return trash_put(record=subscription, by=by, now=timezone.now())


@transaction.atomic
def consent_set(
    *,
    customer_id: int,
    purpose: str,
    granted: bool,
    source: str,
    evidence: str = "",
    now: datetime,
) -> Consent:
    """Record the customer's choice for one purpose (``consent.changed`` follows the row, with
    its source); the evidence says what shows the choice. Called for the person themselves (an
    unsubscribe link, a bounce's complaint), so it takes no ``by``."""
    consent = (
        Consent.objects.select_for_update().filter(customer_id=customer_id, purpose=purpose).first()
    )
    if consent is None:
        consent = Consent(customer_id=customer_id, purpose=purpose)
    elif consent.granted == granted:
        return consent
    consent.granted = granted
    consent.changed_at = now
    consent.source = source[:60]
    consent.evidence = evidence[:2000]
    consent.save()
    return consent
