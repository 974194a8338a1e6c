"""Writes of the points ledger: earn, redeem, adjust, cancel a redemption, reverse an order's
points, expire lots, the program's settings.

Every movement of one customer's points goes through ``_move``: the customer's balance row is
locked (``SELECT ... FOR UPDATE``; on SQLite the transaction holds the write lock), an entry
with the same source key is the first result returned again (a retried request or event has
no second effect), the wallet's lots are read, ``tenure.domain.loyalty`` says what the
movement does, and the entry, its lot uses, the lots' remainders, the cached balance and the
event are written in the one transaction. Concurrent redemptions of one customer so wait for
each other, and the second sees what the first spent.

Who may: earning and redeeming change the customer (admins, managers, a success manager their
book's, a shop's API token with such a role; an analyst nothing: 403; another's customer 404);
adjustments are for admins and managers; the program's settings for admins. ``by=None`` is
the operator at the command line or the worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404

from tenure.access import AccessDenied, get_visible_or_404, require, sees_all
from tenure.customers.models import Customer
from tenure.domain import loyalty as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.loyalty.events import entries_announce
from tenure.loyalty.models import (
    EntryKind,
    LotUse,
    LoyaltyBalance,
    LoyaltyProgram,
    PointsEntry,
    PointsLot,
)
from tenure.loyalty.selectors import program
from tenure.users.models import User

MAX_POINTS = 10_000_000
PROGRAM_FIELDS = frozenset(
    {"enabled", "points_per_unit", "rounding", "lot_lifetime_days", "negative_floor",
     "refund_window_days", "max_points_per_order"}
)  # fmt: skip


class PointsRefused(Conflict):
    """A valid request the customer's points refuse (not enough of them): 409 in the API."""


def source_key(prefix: str, key: str) -> str:
    """``prefix:key``, the key hashed when long (a source key has at most 200 characters and
    its event's key adds the kind's name)."""
    text = str(key).strip()
    if not text:
        raise ValidationError({"key": ["give a key: the same key is the same request"]})
    if len(text) > 100:
        text = "sha256-" + hashlib.sha256(text.encode()).hexdigest()
    return f"{prefix}:{text}"


def _customer(by: User | None, customer_id: int) -> Customer:
    """The customer whose points ``by`` may change (403 for a role that changes nothing,
    404 outside the book)."""
    if by is None:
        found = Customer.objects.filter(pk=customer_id).first()
        if found is None:
            raise ValidationError({"customer_id": [f"no customer with id {customer_id}"]})
        return found
    return get_visible_or_404(by, Customer, Action.CHANGE, pk=customer_id)


def balance_lock(customer_id: int) -> LoyaltyBalance:
    """The customer's balance row, made if missing, locked for this transaction."""
    LoyaltyBalance.objects.bulk_create(
        [LoyaltyBalance(customer_id=customer_id)], ignore_conflicts=True
    )
    return LoyaltyBalance.objects.select_for_update().get(customer_id=customer_id)


def _lot(row: PointsLot) -> rules.Lot:
    return rules.Lot(row.pk, row.points, row.remaining, row.earned_at, row.expires_at)


def _wallet(balance: LoyaltyBalance, extra_lot_ids: Collection[int] = ()) -> rules.Wallet:
    lots = PointsLot.objects.filter(customer_id=balance.customer_id, remaining__gt=0)
    found = {row.pk: _lot(row) for row in lots}
    missing = set(extra_lot_ids) - set(found)
    if missing:
        found.update({row.pk: _lot(row) for row in PointsLot.objects.filter(pk__in=missing)})
    return rules.Wallet(found, balance.debt)


def _replayed(key: str, customer_id: int, kind: str) -> PointsEntry | None:
    found = PointsEntry.objects.filter(source_key=key).first()
    if found is not None and (found.customer_id != customer_id or found.kind != kind):
        raise ValidationError({"key": ["this key was used for another request"]})
    return found


def _move(
    *,
    customer_id: int,
    key: str,
    kind: str,
    decide: Callable[[rules.Wallet], tuple[rules.Movement, rules.Lot | None]],
    now: datetime,
    by: User | None,
    cause: str = "",
    extra_lot_ids: Collection[int] = (),
    **fields: Any,
) -> tuple[PointsEntry, bool]:
    """One movement of the customer's points, once per ``key``: (entry, whether it is new)."""
    balance = balance_lock(customer_id)
    found = _replayed(key, customer_id, kind)
    if found is not None:
        return found, False
    wallet = _wallet(balance, extra_lot_ids)
    try:
        movement, new_lot = decide(wallet)
    except rules.InsufficientPoints as refused:
        raise PointsRefused(str(refused)) from None
    except rules.LoyaltyError as refused:
        raise ValidationError({refused.field: [str(refused)]}) from None
    entry = PointsEntry.objects.create(
        customer_id=customer_id, kind=kind, points=movement.points,
        written_off=movement.written_off, cause=cause[:200], source_key=key, created_at=now,
        by=by, **fields,
    )  # fmt: skip
    if new_lot is not None:
        PointsLot.objects.create(
            entry=entry, customer_id=customer_id, points=new_lot.points, remaining=new_lot.points,
            earned_at=new_lot.earned_at, expires_at=new_lot.expires_at,
        )  # fmt: skip
        for use in movement.uses:  # the lot's id was a placeholder until the entry existed
            if use.lot_id == new_lot.id:
                movement = rules.Movement(
                    movement.points,
                    tuple(rules.Use(entry.pk if u.lot_id == new_lot.id else u.lot_id, u.points)
                          for u in movement.uses),
                    movement.debt_change, movement.written_off,
                )  # fmt: skip
                break
    _uses_write(entry, movement)
    requested = -movement.points + movement.written_off if kind == EntryKind.REVERSE else 0
    LoyaltyBalance.objects.filter(pk=customer_id).update(
        balance=F("balance") + movement.points,
        debt=F("debt") + movement.debt_change,
        earned=F("earned") + (movement.points if kind == EntryKind.EARN else 0) - requested,
    )
    entries_announce([entry])
    return entry, True


def _uses_write(entry: PointsEntry, movement: rules.Movement) -> None:
    uses = [LotUse(entry=entry, lot_id=u.lot_id, points=u.points) for u in movement.uses]
    LotUse.objects.bulk_create(uses)
    for use in movement.uses:
        PointsLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") - use.points)


def _points(value: Any, name: str = "points", *, signed: bool = False) -> int:
    words = "a whole number of points, not 0," if signed else "a whole number of points above 0,"
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (value == 0 if signed else value <= 0)
        or abs(value) > MAX_POINTS
    ):
        raise ValidationError({name: [f"{words} at most {MAX_POINTS:,}"]})
    return value


def _expiry(settings: LoyaltyProgram, earned_at: datetime) -> datetime | None:
    days = settings.lot_lifetime_days
    return None if days is None else earned_at + timedelta(days=days)


@transaction.atomic
def points_earn(
    *,
    by: User | None,
    customer_id: int,
    key: str,
    now: datetime,
    points: int | None = None,
    amount: Decimal | None = None,
    cause: str = "",
) -> tuple[PointsEntry, bool]:
    """Points earned outside an order event (a shop's API): ``points``, or ``amount`` in the
    currency converted by the program's rate times the customer's tier multiplier (recorded
    on the entry). Once per ``key``."""
    customer = _customer(by, customer_id)
    settings = program()
    if not settings.enabled:
        raise Conflict("the loyalty program is switched off: no points are earned")
    if (points is None) == (amount is None):
        raise ValidationError({"points": ["give points or an amount, one of the two"]})
    multiplier = Decimal(1)
    if amount is not None:
        from tenure.loyalty.following import multipliers_of

        multiplier = multipliers_of([customer.pk]).get(customer.pk, multiplier)
        try:
            rate = settings.points_per_unit * multiplier
            points = rules.points_for(
                Decimal(amount), rate, settings.rounding, settings.max_points_per_order
            )
        except (rules.LoyaltyError, InvalidOperation):
            raise ValidationError({"amount": ["an amount of 0 or more"]}) from None
        if points <= 0:
            raise ValidationError({"amount": ["this amount earns no points"]})
    earned = _points(points)
    lot = rules.Lot(0, earned, earned, now, _expiry(settings, now))
    return _move(
        customer_id=customer.pk, key=source_key(f"earn:{customer.pk}", key), kind=EntryKind.EARN,
        decide=lambda wallet: (rules.earn(wallet, lot), lot), now=now, by=by,
        cause=cause or "earned", amount=amount, multiplier=multiplier,
    )  # fmt: skip


@transaction.atomic
def points_redeem(
    *, by: User | None, customer_id: int, points: int, key: str, now: datetime, cause: str = ""
) -> tuple[PointsEntry, bool]:
    """Spend ``points`` from the soonest-expiring lots; refused (``PointsRefused``: "balance
    40, asked 80") beyond the live balance or while it is negative. Once per ``key``."""
    customer = _customer(by, customer_id)
    asked = _points(points)
    return _move(
        customer_id=customer.pk, key=source_key(f"redeem:{customer.pk}", key),
        kind=EntryKind.REDEEM, decide=lambda wallet: (rules.redeem(wallet, asked, now), None),
        now=now, by=by, cause=cause or "redeemed",
    )  # fmt: skip


@transaction.atomic
def points_adjust(
    *, by: User | None, customer_id: int, points: int, cause: str, key: str, now: datetime
) -> tuple[PointsEntry, bool]:
    """A manager's or an admin's correction with its reason: up is a new lot (the program's
    lifetime), down takes from the lots like a reversal, never below the negative floor."""
    if by is not None:
        require(by, Action.CHANGE)
        if not sees_all(by, Action.CHANGE):
            raise AccessDenied("only admins and managers adjust points")
    customer = _customer(by, customer_id)
    change = _points(points, signed=True)
    reason = str(cause or "").strip()
    if not reason:
        raise ValidationError({"cause": ["say why: the reason is kept with the entry"]})
    settings = program()

    def decide(wallet: rules.Wallet) -> tuple[rules.Movement, rules.Lot | None]:
        if change > 0:
            lot = rules.Lot(0, change, change, now, _expiry(settings, now))
            return rules.earn(wallet, lot), lot
        if wallet.balance + change < settings.negative_floor:
            raise rules.LoyaltyError(
                f"balance {wallet.balance}, adjusting by {change} passes the floor "
                f"{settings.negative_floor}"
            )
        return rules.reverse(wallet, -change, order_lot_id=None, floor=settings.negative_floor,
                             now=now), None  # fmt: skip

    return _move(
        customer_id=customer.pk, key=source_key(f"adjust:{customer.pk}", key),
        kind=EntryKind.ADJUST, decide=decide, now=now, by=by, cause=reason,
    )  # fmt: skip


@transaction.atomic
def redemption_cancel(
    *, by: User | None, entry_id: int, now: datetime, cause: str = ""
) -> tuple[PointsEntry, bool]:
    """Give a redemption's points back to the lots it took them from, with their expiry
    (points of a lot expired meanwhile are not given back); once per redemption."""
    redemption = PointsEntry.objects.filter(pk=entry_id, kind=EntryKind.REDEEM).first()
    if redemption is None:  # as another's: never telling which
        raise Http404("no such record")
    customer = _customer(by, redemption.customer_id)
    uses = [rules.Use(u.lot_id, u.points) for u in redemption.uses.all()]
    return _move(
        customer_id=customer.pk, key=f"redeem:{redemption.pk}:cancel", kind=EntryKind.RESTORE,
        decide=lambda wallet: (rules.restore(wallet, uses, now), None), now=now, by=by,
        cause=cause or f"redemption {redemption.pk} cancelled", reverses=redemption,
        extra_lot_ids={u.lot_id for u in uses},
    )  # fmt: skip


def order_reverse(
    *, earn: PointsEntry, key: str, refunded: Decimal | None, now: datetime, cause: str
) -> tuple[PointsEntry, bool] | None:
    """Reverse what the order's ``earn`` gave, pro rata to ``refunded`` of the amount it was
    earned on (None: all of it), from the ledger (never today's rate); None when nothing is
    due (already reversed). Down to the floor; beyond it written off, on the entry."""
    settings = program()
    before = [
        (-r.points + r.written_off)
        for r in PointsEntry.objects.filter(reverses=earn, kind=EntryKind.REVERSE)
    ]
    amount = earn.amount if earn.amount is not None else Decimal(0)
    due = rules.reversal_due(
        earned=earn.points, amount=amount, refunded=amount if refunded is None else refunded,
        reversed_before=sum(before),
    )  # fmt: skip
    if due <= 0:
        return None
    return _move(
        customer_id=earn.customer_id, key=key, kind=EntryKind.REVERSE,
        decide=lambda wallet: (rules.reverse(wallet, due, order_lot_id=earn.pk,
                                             floor=settings.negative_floor, now=now), None),
        now=now, by=None, cause=cause, order_id=earn.order_id, reverses=earn,
        extra_lot_ids={earn.pk},
    )  # fmt: skip


def order_earn_one(
    *, row: PointsEntry, earned_at: datetime, expires_at: datetime | None
) -> tuple[PointsEntry, bool]:
    """An order's earn (``row``, unsaved) for a customer in debt: its points pay it first."""
    lot = rules.Lot(0, row.points, row.points, earned_at, expires_at)
    return _move(
        customer_id=row.customer_id, key=row.source_key, kind=EntryKind.EARN,
        decide=lambda wallet: (rules.earn(wallet, lot), lot), now=row.created_at, by=None,
        cause=row.cause, order_id=row.order_id, amount=row.amount, multiplier=row.multiplier,
    )  # fmt: skip


def lots_expire(*, customer_id: int, now: datetime) -> list[PointsEntry]:
    """Expire the customer's lots whose moment has come: one entry per lot remainder."""
    balance = balance_lock(customer_id)
    written = []
    for lot_id, movement in rules.expire(_wallet(balance), now):

        def decide(
            _wallet: rules.Wallet, movement: rules.Movement = movement
        ) -> tuple[rules.Movement, None]:
            return movement, None  # decided above, on the same locked lots

        entry, _ = _move(
            customer_id=customer_id, key=f"lot:{lot_id}:expire", kind=EntryKind.EXPIRE,
            decide=decide, now=now, by=None, cause=f"lot {lot_id} expired",
        )  # fmt: skip
        written.append(entry)
    return written


def lots_expire_due(
    *, now: datetime, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Every lot whose moment has come, customer by customer (a transaction each)."""
    due = PointsLot.objects.filter(expires_at__lte=now, remaining__gt=0)
    customers = sorted(set(due.values_list("customer_id", flat=True)))
    lots = points = 0
    for n, customer_id in enumerate(customers, 1):
        with transaction.atomic():
            written = lots_expire(customer_id=customer_id, now=now)
        lots += len(written)
        points -= sum(entry.points for entry in written)
        if on_progress is not None and n % 500 == 0:
            on_progress(n, len(customers))
    return {"customers": len(customers), "lots": lots, "points": points}


@transaction.atomic
def program_update(*, by: User | None, changes: Mapping[str, Any]) -> LoyaltyProgram:
    """The program's settings (admins)."""
    if by is not None:
        require(by, Action.ADMINISTER)
    unknown = set(changes) - PROGRAM_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    settings = program()
    settings = LoyaltyProgram.objects.select_for_update().get(pk=settings.pk)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    return settings
