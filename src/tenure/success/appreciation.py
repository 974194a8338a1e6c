"""Appreciation: gifts, thank-you notes and event invitations given to an account (and a
person there), with their cost, by hand or by a playbook's step; and the reads of who was
thanked and when.

Writes go through the account ``by`` may change (a success manager their book's, an analyst
nothing: 403; another's account: 404), validated per field, with their history (auditlog) and
an event. A ``key`` (a playbook's enrolment and step) records one, however often it is asked:
the second call returns the first record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from tenure.access import visible
from tenure.access.records import record_for_change, record_save, reject_unknown_fields
from tenure.customers.models import Account, Contact, Customer
from tenure.domain.access import Action
from tenure.success.events import APPRECIATION_DELETED, APPRECIATION_RECORDED, success_event
from tenure.success.models import Appreciation, AppreciationKind
from tenure.users.models import User

FIELDS = frozenset(
    {"kind", "description", "cost", "currency", "given_on", "contact_id", "customer_id", "key"}
)
COST_MAX = Decimal("9999999999.99")


def _cost(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    if isinstance(value, float | bool):
        raise ValidationError({"cost": ["an amount as text or a decimal, e.g. 25.00"]})
    try:
        cost = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({"cost": ["an amount, e.g. 25.00"]}) from None
    if not cost.is_finite() or cost < 0 or cost > COST_MAX:
        raise ValidationError({"cost": ["an amount from 0 to 9,999,999,999.99"]})
    if cost != cost.quantize(Decimal("0.01")):
        raise ValidationError({"cost": ["at most two decimal places"]})
    return cost.quantize(Decimal("0.01"))


def _given_on(value: Any, now: datetime) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError({"given_on": ["a date (YYYY-MM-DD)"]})
    if value.year < 1900 or (value - now.date()).days > 366:
        raise ValidationError({"given_on": ["a date from 1900 to a year from today"]})
    return value


def _people(account: Account, data: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"contact": None, "customer": None}
    if data.get("contact_id"):
        contact = Contact.objects.filter(pk=data["contact_id"], account=account).first()
        if contact is None:
            raise ValidationError({"contact_id": ["a contact of this account"]})
        found["contact"] = contact
    if data.get("customer_id"):
        customer = Customer.objects.filter(pk=data["customer_id"], account=account).first()
        if customer is None:
            raise ValidationError({"customer_id": ["a customer of this account"]})
        found["customer"] = customer
    return found


@transaction.atomic
def appreciation_record(
    *, by: User | None, account_id: int, data: Mapping[str, Any], now: datetime
) -> tuple[Appreciation, bool]:
    """Record what was given: (the record, whether it is new). ``given_by`` is ``by`` (or the
    account's owner for a playbook's step)."""
    reject_unknown_fields(data, FIELDS)
    account = record_for_change(by, Account, account_id)
    key = str(data.get("key") or "").strip() or None
    if key is not None:
        if len(key) > 200:
            raise ValidationError({"key": ["at most 200 characters"]})
        found = Appreciation.objects.filter(key=key).first()
        if found is not None:
            if found.account_id != account.pk:
                raise ValidationError({"key": ["already used for another account"]})
            return found, False
    kind = data.get("kind")
    if kind not in AppreciationKind.values:
        raise ValidationError({"kind": ["one of " + ", ".join(AppreciationKind.values)]})
    description = str(data.get("description") or "").strip()
    if len(description) > 500:
        raise ValidationError({"description": [f"at most 500 characters, got {len(description)}"]})
    given_on = data.get("given_on")
    appreciation = Appreciation(
        account=account, kind=kind, description=description, cost=_cost(data.get("cost")),
        currency=str(data.get("currency") or settings.TENURE_CURRENCY).strip().upper(),
        given_on=_given_on(given_on if given_on is not None else now.date(), now),
        given_by=by if by is not None else account.owner, created_at=now, key=key,
        **_people(account, data),
    )  # fmt: skip
    record_save(appreciation)
    success_event(
        APPRECIATION_RECORDED, subject="appreciation", subject_id=appreciation.pk,
        customer_id=appreciation.customer_id, account_id=account.pk, what=appreciation.kind,
    )  # fmt: skip
    return appreciation, True


@transaction.atomic
def appreciation_delete(*, by: User | None, appreciation_id: int) -> None:
    """Delete one recorded by mistake (whoever may change its account)."""
    appreciation = record_for_change(by, Appreciation, appreciation_id)
    success_event(
        APPRECIATION_DELETED, subject="appreciation", subject_id=appreciation.pk,
        customer_id=appreciation.customer_id, account_id=appreciation.account_id,
    )  # fmt: skip
    appreciation.delete()


# -- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    count: int
    cost: dict[str, Decimal]  # by currency: amounts in different currencies are not added


def appreciations_visible(user: User) -> QuerySet[Appreciation]:
    return visible(user, Appreciation, Action.VIEW).select_related(
        "account", "contact", "customer", "given_by"
    )


def appreciation_totals(appreciations: QuerySet[Appreciation]) -> Totals:
    rows = appreciations.order_by().values("currency").annotate(n=Count("id"), total=Sum("cost"))
    return Totals(
        count=sum(row["n"] for row in rows),
        cost={row["currency"]: row["total"] or Decimal("0.00") for row in rows},
    )


def account_appreciations(
    *, user: User, account_id: int, today: date
) -> tuple[list[Appreciation], Totals]:
    """The account's appreciations (newest first) and what this calendar year's cost."""
    found = appreciations_visible(user).filter(account_id=account_id)
    year = found.filter(given_on__year=today.year)
    return list(found[:50]), appreciation_totals(year)
