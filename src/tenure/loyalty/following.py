"""Points from the orders' events (``tenure.events.consumers``), in the transaction that
advances the consumer's position, so each batch's points are written once.

``order.placed`` of a completed order earns ``amount x points_per_unit`` (rounded as the
program says) once per order: the entry's source key is ``order:<id>:earn``, so an event
delivered three times, or an order imported twice, earns once. A batch's earns are written
set-wise (an import of a year of orders is a batch of up to 100,000 events): the entries in
one statement per 2,000 that skips the keys already there (``ON CONFLICT DO NOTHING``), their
lots likewise, then the balances of the batch's customers recomputed from the ledger, a
statement per 5,000 customers, with their rows locked first in customer order. A customer in
debt (a reversal took back spent points) earns one by one instead: the new points pay the
debt first (``tenure.domain.loyalty.earn``).

``order.refunded``, ``order.cancelled`` and ``order.deleted`` reverse what the order earned,
as recorded (never recomputed with today's rate); an ``order.changed`` that lowers a completed
order's amount reverses pro rata (the cumulative floor, see ``tenure.domain.loyalty``); each
reversal keyed ``order:<id>:refund:<event id>``. A refund undone (the order completed again)
earns nothing back: a manager adjusts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenure.domain import loyalty as rules
from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.loyalty.events import entries_announce
from tenure.loyalty.models import (
    CustomerTier,
    EntryKind,
    LoyaltyBalance,
    LoyaltyProgram,
    PointsEntry,
    PointsLot,
)
from tenure.orders.models import Order

PLACED = "order.placed"
REVERSING = frozenset({"order.refunded", "order.cancelled", "order.deleted"})
KINDS = frozenset({PLACED, "order.changed", *REVERSING})
CHUNK = 5000
ONE = Decimal(1)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def earn_key(order_id: int) -> str:
    return f"order:{order_id}:earn"


def _expiry(program: LoyaltyProgram, at: datetime) -> datetime | None:
    days = program.lot_lifetime_days
    return None if days is None else at + timedelta(days=days)


def multipliers_of(customer_ids: Sequence[int]) -> dict[int, Decimal]:
    """The tier multiplier of each customer holding a tier (one query per 5,000 customers;
    the others earn at 1)."""
    found: dict[int, Decimal] = {}
    for ids in _chunks(sorted(customer_ids)):
        found.update(
            CustomerTier.objects.filter(customer_id__in=ids, tier__isnull=False).values_list(
                "customer_id", "tier__multiplier"
            )
        )
    return found


def _earns(events: Sequence[Event], program: LoyaltyProgram, now: datetime) -> list[PointsEntry]:
    """The entries the batch's placed events earn (orders gone since are skipped), each at the
    customer's tier multiplier as it stands, recorded on the entry."""
    placed: dict[int, Event] = {}
    for event in events:
        data = event.data or {}
        if event.kind == PLACED and event.subject_id and data.get("status") == "completed":
            placed[int(event.subject_id)] = event
    existing: dict[int, int] = {}
    for ids in _chunks(sorted(placed)):
        existing.update(Order.objects.filter(pk__in=ids).values_list("pk", "customer_id"))
    multipliers = multipliers_of(list(set(existing.values())))
    rows = []
    for order_id, customer_id in existing.items():
        event = placed[order_id]
        multiplier = multipliers.get(customer_id, ONE)
        try:
            amount = Decimal(str(event.data["amount"]))
            rate = program.points_per_unit * multiplier
            points = rules.points_for(amount, rate, program.rounding)
        except (KeyError, InvalidOperation, rules.LoyaltyError):
            continue
        if points > 0:
            rows.append(
                PointsEntry(
                    customer_id=customer_id, kind=EntryKind.EARN, points=points,
                    cause=f"order {order_id}" + (f" (x{multiplier.normalize():f} tier)"
                                                 if multiplier != ONE else ""),
                    source_key=earn_key(order_id), order_id=order_id, amount=amount,
                    multiplier=multiplier, created_at=now,
                )
            )  # fmt: skip
    return rows


def balances_lock(customer_ids: Sequence[int]) -> None:
    """The customers' balance rows, made if missing and locked in customer order (one
    order for every batch: two writers never wait on each other's rows crosswise)."""
    LoyaltyBalance.objects.bulk_create(
        [LoyaltyBalance(customer_id=pk) for pk in customer_ids],
        batch_size=2000,
        ignore_conflicts=True,
    )
    for ids in _chunks(customer_ids):
        list(
            LoyaltyBalance.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def balances_recompute(customer_ids: Sequence[int]) -> None:
    """Each customer's cached balance and points earned from the ledger, one statement per
    chunk (the rows are locked by the caller)."""
    mine = PointsEntry.objects.filter(customer_id=OuterRef("pk")).order_by().values("customer_id")

    def total(column: str, **where: object) -> Coalesce:
        query = mine.filter(**where).annotate(s=Sum(column)).values("s")
        return Coalesce(Subquery(query, output_field=IntegerField()), Value(0))

    for ids in _chunks(customer_ids):
        LoyaltyBalance.objects.filter(pk__in=ids).update(
            balance=total("points"),
            earned=total("points", kind__in=[EntryKind.EARN])
            + total("points", kind=EntryKind.REVERSE)
            - total("written_off", kind=EntryKind.REVERSE),
        )


def orders_earn(events: Sequence[Event], *, now: datetime) -> int:
    """The batch's earns, set-wise; how many entries were new."""
    from tenure.loyalty.selectors import program
    from tenure.loyalty.services import order_earn_one

    settings = program()
    if not settings.enabled:
        return 0
    rows = _earns(events, settings, now)
    if not rows:
        return 0
    customers = sorted({row.customer_id for row in rows})
    balances_lock(customers)
    in_debt: set[int] = set()
    for ids in _chunks(customers):
        in_debt.update(
            LoyaltyBalance.objects.filter(pk__in=ids, debt__gt=0).values_list("pk", flat=True)
        )
    placed_at = {e.subject_id: e.at for e in events if e.kind == PLACED}
    new = 0
    for row in rows:
        if row.customer_id in in_debt:  # one by one: the points pay the debt first
            assert row.order_id is not None
            at = placed_at[row.order_id]
            _, one = order_earn_one(row=row, earned_at=at, expires_at=_expiry(settings, at))
            new += one
    bulk = [row for row in rows if row.customer_id not in in_debt]
    _insert(PointsEntry, ENTRY_COLUMNS, [_entry_values(row) for row in bulk])
    made: list[tuple[int, int, int, int]] = []
    for keys in _chunks([row.source_key for row in bulk]):
        made += PointsEntry.objects.filter(
            source_key__in=keys, lot__isnull=True, kind=EntryKind.EARN
        ).values_list("pk", "customer_id", "points", "order_id")
    lots = []
    for pk, customer_id, points, order_id in made:
        at = placed_at[order_id]
        lots.append((pk, customer_id, points, points, _moment(at), _moment(_expiry(settings, at))))
    _insert(PointsLot, LOT_COLUMNS, lots)
    balances_recompute(sorted({customer_id for _, customer_id, _, _ in made}))
    entries_announce(
        PointsEntry(pk=pk, customer_id=customer_id, kind=EntryKind.EARN, points=points,
                    source_key=earn_key(order_id))
        for pk, customer_id, points, order_id in made
    )  # fmt: skip
    return new + len(made)


ENTRY_COLUMNS = ("customer_id", "kind", "points", "written_off", "cause", "source_key",
                 "order_id", "amount", "multiplier", "created_at")  # fmt: skip
LOT_COLUMNS = ("entry_id", "customer_id", "points", "remaining", "earned_at", "expires_at")


def _moment(at: datetime | None) -> Any:
    return None if at is None else connection.ops.adapt_datetimefield_value(at)


def _entry_values(row: PointsEntry) -> tuple[Any, ...]:
    amount = connection.ops.adapt_decimalfield_value(row.amount, 14, 2)
    multiplier = connection.ops.adapt_decimalfield_value(row.multiplier, 6, 3)
    return (row.customer_id, row.kind, row.points, 0, row.cause, row.source_key, row.order_id,
            amount, multiplier, _moment(row.created_at))  # fmt: skip


def _insert(model: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Many rows in one prepared statement, those whose unique key is known skipped (ON
    CONFLICT DO NOTHING, both engines): the ORM's ``bulk_create`` prepares every value in
    Python and SQLite's variable limit cuts it into statements of 80 rows."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608 -- model names
    with connection.cursor() as cursor:
        for part in _chunks(rows, 20_000):
            cursor.executemany(sql, list(part))


def _refunded(event: Event, earn: PointsEntry) -> Decimal | None:
    """What the event refunds of the amount the order earned on: None for all of it, a
    lower amount for a partial refund, 0 for nothing."""
    if event.kind in REVERSING:
        return None
    data = event.data or {}
    if "amount" not in (data.get("fields") or ()) or data.get("status") != "completed":
        return Decimal(0)
    try:
        now_amount = Decimal(str(data["amount"]))
    except (KeyError, InvalidOperation):
        return Decimal(0)
    basis = earn.amount or Decimal(0)
    return max(Decimal(0), basis - now_amount)


def orders_reverse(events: Sequence[Event], *, now: datetime) -> int:
    """The batch's refunds, cancellations, deletions and lowered amounts, one by one."""
    from tenure.loyalty.services import order_reverse

    changes = [e for e in events if e.kind != PLACED and e.kind in KINDS and e.subject_id]
    if not changes:
        return 0
    order_ids = sorted({int(e.subject_id or 0) for e in changes})
    earns = {
        int(entry.source_key.split(":")[1]): entry  # the order may be gone (deleted)
        for ids in _chunks(order_ids)
        for entry in PointsEntry.objects.filter(
            Q(kind=EntryKind.EARN), source_key__in=[earn_key(i) for i in ids]
        )
    }
    done = 0
    for event in changes:
        earn = earns.get(int(event.subject_id or 0))
        if earn is None:
            continue
        refunded = _refunded(event, earn)
        if refunded is not None and refunded <= 0:
            continue
        words = event.kind.removeprefix("order.")
        result = order_reverse(
            earn=earn, key=f"order:{event.subject_id}:refund:{event.pk}", refunded=refunded,
            now=now, cause=f"reversal: order {event.subject_id} {words}",
        )  # fmt: skip
        done += result is not None and result[1]
    return done


def points_follow(events: Sequence[Event]) -> None:
    now = timezone.now()
    orders_earn(events, now=now)
    orders_reverse(events, now=now)


POINTS = Consumer("loyalty.points", points_follow, kinds=KINDS, batch=100_000)

LEDGER_KINDS = frozenset({"loyalty.earned", "loyalty.reversed"})
TIER_KINDS = LEDGER_KINDS | KINDS


def tiers_follow(events: Sequence[Event], *, now: datetime | None = None) -> None:
    """Raise the tiers of the customers an earn, a reversal (points) or an order (spend)
    touched, at once; lowering waits for the review (``tenure.loyalty.tiers``). ``now`` is a
    parameter for the tests' clock; the worker's is the time of the batch."""
    from tenure.loyalty.models import TierBasis
    from tenure.loyalty.selectors import program
    from tenure.loyalty.tiers import customers_tiers_evaluate

    settings = program()
    kinds = LEDGER_KINDS if settings.tier_basis == TierBasis.POINTS else KINDS
    touched = {e.customer_id for e in events if e.kind in kinds and e.customer_id}
    if touched:
        customers_tiers_evaluate(customer_ids=touched, now=now or timezone.now())


TIERS = Consumer("loyalty.tiers", tiers_follow, kinds=TIER_KINDS, batch=100_000)
