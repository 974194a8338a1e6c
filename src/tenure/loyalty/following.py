"""Points from the orders' events (``tenure.events.consumers``), in the transaction that
advances the consumer's position, so each batch's points are written once.

``order.placed`` of a completed order earns ``amount x points_per_unit`` (rounded as the
program says) once per order: the entry's source key is ``order:<id>:earn``, so an event
delivered three times, or an order imported twice, earns once. A batch's earns are written
set-wise in SQL (an import of a year of orders is a batch of up to 100,000 events; see
``tenure.loyalty.earn_sql``): the points computed from the events by one ``INSERT ... SELECT``,
the keys already there skipped, the balances of the batch's customers locked in customer
order, then the entries, their lots, the balances and the ``loyalty.earned`` events a
statement each. A customer in debt (a reversal took back spent points) earns one by one
instead: the new points pay the debt first (``tenure.domain.loyalty.earn``).

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

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenure.domain import loyalty as rules
from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.loyalty import earn_sql
from tenure.loyalty.models import CustomerTier, EntryKind, LoyaltyProgram, PointsEntry
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
    customer's tier multiplier as it stands, recorded on the entry: the rule in Python, for
    the earns ``earn_sql`` does not compute (and the customers in debt)."""
    placed = _placed(events)
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
            uncapped = rules.points_for(amount, rate, program.rounding)
        except (KeyError, InvalidOperation, rules.LoyaltyError):
            continue
        cap = program.max_points_per_order
        points = uncapped if cap is None else min(uncapped, cap)
        if points > 0:
            cause = f"order {order_id}" + (
                f" (x{multiplier.normalize():f} tier)" if multiplier != ONE else ""
            )
            rows.append(
                PointsEntry(
                    customer_id=customer_id, kind=EntryKind.EARN, points=points,
                    cause=cause if points == uncapped else earn_sql.capped(cause, points),
                    source_key=earn_key(order_id), order_id=order_id, amount=amount,
                    multiplier=multiplier, created_at=now,
                )
            )  # fmt: skip
    return rows


def _placed(events: Sequence[Event]) -> dict[int, Event]:
    """The batch's ``order.placed`` events of completed orders, by order (the last wins)."""
    placed: dict[int, Event] = {}
    for event in events:
        data = event.data or {}
        if event.kind == PLACED and event.subject_id and data.get("status") == "completed":
            placed[int(event.subject_id)] = event
    return placed


def orders_earn(events: Sequence[Event], *, now: datetime) -> int:
    """The batch's earns, set-wise (``tenure.loyalty.earn_sql``); how many entries were new."""
    from tenure.loyalty.selectors import program

    settings = program()
    if not settings.enabled:
        return 0
    placed = _placed(events)
    if not placed:
        return 0
    with transaction.atomic():
        return _earn_staged(placed, settings, now)


def _earn_staged(placed: dict[int, Event], settings: LoyaltyProgram, now: datetime) -> int:
    from tenure.loyalty.services import order_earn_one

    rates = earn_sql.rates(settings)
    plain = earn_sql.plain_amount(rates) if rates is not None else None
    in_sql: list[int] = []
    by_rule: list[Event] = []
    for event in placed.values():
        amount = (event.data or {}).get("amount")
        if plain is not None and isinstance(amount, str) and plain.fullmatch(amount):
            in_sql.append(event.pk)
        else:
            by_rule.append(event)
    earn_sql.stage_create()
    if in_sql and rates is not None:
        earn_sql.stage_fill(in_sql, settings, rates)
    earn_sql.stage_add(
        (row, placed[row.order_id].at, _expiry(settings, placed[row.order_id].at))
        for row in _earns(by_rule, settings, now)
        if row.order_id is not None
    )
    if settings.max_points_per_order is not None:
        earn_sql.stage_cap(settings.max_points_per_order)
    if not earn_sql.stage_drop_known():
        return 0
    earn_sql.balances_lock(now)
    new = 0
    debtors = earn_sql.debtors_take()
    if debtors:  # one by one: the points pay the debt first
        for row in _earns([placed[order_id] for order_id in debtors], settings, now):
            assert row.order_id is not None
            at = placed[row.order_id].at
            _, one = order_earn_one(row=row, earned_at=at, expires_at=_expiry(settings, at))
            new += one
    made = earn_sql.entries_write(now)
    if made:
        earn_sql.lots_and_balances_write()
        earn_sql.announce()
    earn_sql.stage_clear()
    return new + made


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
