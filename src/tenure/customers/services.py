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
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from tenure.access import get_visible_or_404, require, visible
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action, Role
from tenure.domain.errors import Conflict
from tenure.users.models import User

CUSTOMER_FIELDS = frozenset(
    {
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birthday",
        "time_zone",
        "channel",
        "segment",
        "account_id",
        "owner_id",
        "custom_attributes",
        "created_at",
    }
)


def _check_references(by: User | None, fields: Mapping[str, Any]) -> None:
    """Referenced accounts must be visible to ``by``; owners must be active team members."""
    errors: dict[str, list[str]] = {}
    account_id = fields.get("account_id")
    if account_id is not None:
        accounts = Account.objects.all() if by is None else visible(by, Account)
        if not accounts.filter(pk=account_id).exists():
            errors["account_id"] = [f"no account with id {account_id}"]
    owner_id = fields.get("owner_id")
    if owner_id is not None and not User.objects.filter(pk=owner_id, is_active=True).exists():
        errors["owner_id"] = [f"no active user with id {owner_id}"]
    if errors:
        raise ValidationError(errors)


def _save(instance: Model, unique_field: str) -> None:
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:  # a concurrent insert won the race past full_clean
        raise ValidationError(
            {unique_field: ["a record with this value already exists"]}
        ) from error


@transaction.atomic
def customer_create(
    *, by: User | None = None, external_id: str, created_at: datetime | None = None, **fields: Any
) -> Customer:
    """Create a customer; ``created_at`` (customer since) defaults to now.

    A success manager who creates a customer owns it unless they name another owner, so that
    they can still see what they created.
    """
    if by is not None:
        require(by, Action.CHANGE)
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    if by is not None and by.role == Role.SUCCESS_MANAGER and fields.get("owner_id") is None:
        fields["owner_id"] = by.pk
    _check_references(by, fields)
    customer = Customer(external_id=external_id, created_at=created_at or timezone.now(), **fields)
    _save(customer, "external_id")
    return customer


@transaction.atomic
def customer_update(
    *, by: User | None = None, customer_id: int, changes: Mapping[str, Any]
) -> Customer:
    """Change the given fields of a customer the user may change (404 otherwise)."""
    unknown = set(changes) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    customers = Customer.objects.select_for_update()
    if by is None:
        customer = customers.get(pk=customer_id)
    else:
        customer = get_visible_or_404(by, customers, Action.CHANGE, pk=customer_id)
    _check_references(by, changes)
    for name, value in changes.items():
        setattr(customer, name, value)
    _save(customer, "external_id")
    return customer


@transaction.atomic
def customer_delete(*, by: User | None = None, customer_id: int) -> None:
    """Delete a customer without orders (orders are history: refund or keep them instead)."""
    if by is None:
        customer = Customer.objects.get(pk=customer_id)
    else:
        customer = get_visible_or_404(by, Customer, Action.CHANGE, pk=customer_id)
    if customer.orders.exists():  # type: ignore[attr-defined]
        raise Conflict("this customer has orders; orders are kept as history, so keep the customer")
    customer.delete()


def customer_team_set(*, by: User | None = None, customer_id: int, user_ids: list[int]) -> None:
    """Replace the team members attached to a customer."""
    if by is None:
        customer = Customer.objects.get(pk=customer_id)
    else:
        customer = get_visible_or_404(by, Customer, Action.CHANGE, pk=customer_id)
    members = list(User.objects.filter(pk__in=user_ids, is_active=True))
    missing = set(user_ids) - {member.pk for member in members}
    if missing:
        raise ValidationError(
            {"team_ids": [f"no active user with id {i}" for i in sorted(missing)]}
        )
    customer.team.set(members)
