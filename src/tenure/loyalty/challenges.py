"""Loyalty challenges (issue 17): the managers' challenges, each customer's progress and the
bonus a completion earns, once. The rules are ``tenure.domain.challenges``.

Who may: admins and managers make, change and deactivate challenges (an analyst or a success
manager 403); every role reads them, and a customer's progress over its book.

Progress follows the orders' events: the consumer ``loyalty.challenges`` takes the customers
of a batch's ``order.*`` events (a moved order: both customers) and evaluates them against
every live challenge *from their orders*, never from the events, so an event delivered twice
changes nothing and a refund before completion lowers the progress (a refunded order is no
longer completed). An evaluation locks the customers' ``ChallengeProgress`` rows, asks the
domain, and for a new completion earns the bonus through ``points_earn`` with the key
``challenge:<id>:<customer>`` (ledger ``earn:<customer>:challenge:<id>:<customer>``: the
lots, expiry and balance rules hold, and a second evaluation finds the entry) and announces
``loyalty.challenge_completed`` keyed the same way. **A completion is kept**: a refund after
it lowers nothing and the bonus stays (as a tier rises at once and is kept until its review:
taking a bonus back for a refund weeks later surprises the customer; a manager adjusts).

A new challenge (or one whose start is dated back) is evaluated by the nightly step
``loyalty.challenges`` for every customer with a completed order since the earliest live
challenge's start, not in the request that makes it: a base of a million customers is no
request's work, the step also catches up what happened while the program was off (nothing
is evaluated then), and until it runs the customer's page computes the progress live
(``challenges_of``). A challenge is evaluated until a week after it ends (events late).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tenure.access import AccessDenied, require, sees_all, visible
from tenure.customers.models import Customer
from tenure.domain import challenges as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.events.record import NewEvent, events_record
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext
from tenure.loyalty.events import CHALLENGE_COMPLETED
from tenure.loyalty.models import Challenge, ChallengeKind, ChallengeProgress
from tenure.loyalty.selectors import program
from tenure.loyalty.services import MAX_POINTS, points_earn
from tenure.orders.models import Order, OrderLine, OrderStatus
from tenure.users.models import User

CHUNK = 2000
GRACE = timedelta(days=7)
ORDER_KINDS = frozenset(
    {"order.placed", "order.changed", "order.refunded", "order.cancelled", "order.deleted"}
)
FIELDS = frozenset(
    {"name", "description", "kind", "target_count", "target_amount", "window_days",
     "min_amount", "sku_prefix", "bonus_points", "starts_at", "ends_at", "active"}
)  # fmt: skip
UPDATED = ("progress", "target", "window_end", "eligible", "updated_at")
Pair = tuple[int, int]  # (customer, challenge)
RULE_FIELDS = FIELDS - {"name", "description", "bonus_points", "ends_at", "active"}
UNUSED: dict[str, dict[str, Any]] = {
    ChallengeKind.ORDERS_COUNT: {"target_amount": None, "sku_prefix": ""},
    ChallengeKind.SPEND: {"target_count": None, "min_amount": None, "sku_prefix": ""},
    ChallengeKind.NEW_PRODUCT_LINE: {"target_count": None, "target_amount": None,
                                     "min_amount": None, "window_days": None},
}  # fmt: skip


def _curator(by: User | None) -> None:
    if by is None:
        return
    require(by, Action.CHANGE)
    if not sees_all(by, Action.CHANGE):
        raise AccessDenied("only admins and managers make and change challenges")


def _amount(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({name: ["an amount such as 49.90"]}) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({name: ["an amount with at most two decimal places"]})
    return amount


def _moment(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):  # the command line's, or a test's
        try:
            value = parse_datetime(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise ValidationError({name: ["a date and time such as 2027-01-31T09:00"]})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    values = dict(data)
    for name in ("target_amount", "min_amount"):
        if name in values:
            values[name] = _amount(values[name], name)
    for name in ("starts_at", "ends_at"):
        if name in values:
            values[name] = _moment(values[name], name)
    for name in ("name", "description", "sku_prefix"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    return values


def rule_of(challenge: Challenge) -> rules.Rule:
    return rules.Rule(
        kind=rules.Kind(challenge.kind), starts_at=challenge.starts_at or challenge.created_at,
        ends_at=challenge.ends_at, target_count=challenge.target_count,
        target_amount=challenge.target_amount, window_days=challenge.window_days,
        min_amount=challenge.min_amount, sku_prefix=challenge.sku_prefix,
    )  # fmt: skip


def _check(challenge: Challenge) -> None:
    if not challenge.name:
        raise ValidationError({"name": ["give the challenge a name"]})
    if challenge.kind not in ChallengeKind.values:
        raise ValidationError({"kind": [f"one of {', '.join(ChallengeKind.values)}"]})
    points = challenge.bonus_points
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise ValidationError({"bonus_points": [f"a whole number of points, 1 to {MAX_POINTS:,}"]})
    for name, value in UNUSED[challenge.kind].items():
        setattr(challenge, name, value)
    try:
        rules.rule_check(rule_of(challenge))
    except rules.ChallengeError as error:
        raise ValidationError({error.field: [str(error)]}) from None
    challenge.full_clean(validate_unique=False, validate_constraints=False)


@transaction.atomic
def challenge_create(*, by: User | None, data: Mapping[str, Any], now: datetime) -> Challenge:
    """A new challenge (admins and managers); it starts now unless ``starts_at`` says."""
    _curator(by)
    values = _values(data)
    values["starts_at"] = values.get("starts_at") or now
    challenge = Challenge(created_at=now, **values)
    _check(challenge)
    challenge.save()
    return challenge


@transaction.atomic
def challenge_update(
    *, by: User | None, challenge_id: int, changes: Mapping[str, Any]
) -> Challenge:
    """Change a challenge (admins and managers). Its rule (kind, targets, window, start) is
    fixed once a customer completed it (409: make a new one): they were paid on that rule."""
    _curator(by)
    challenge = Challenge.objects.select_for_update().filter(pk=challenge_id).first()
    if challenge is None:
        raise Http404("no such record")
    values = _values(changes)
    moved = [n for n in sorted(RULE_FIELDS & set(values)) if values[n] != getattr(challenge, n)]
    done = challenge.progress.filter(completed_at__isnull=False).count()
    if moved and done:
        raise Conflict(
            f"{done} customer(s) completed this challenge: its {moved[0]} stays as it was; "
            "make a new challenge"
        )
    for name, value in values.items():
        setattr(challenge, name, value)
    _check(challenge)
    challenge.save()
    return challenge


def challenge_deactivate(*, by: User | None, challenge_id: int) -> Challenge:
    """Stop a challenge: nobody progresses further; completions and bonuses stay."""
    return challenge_update(by=by, challenge_id=challenge_id, changes={"active": False})


# --- progress ----------------------------------------------------------------------------


def live_challenges(now: datetime) -> list[Challenge]:
    """The challenges being evaluated: active, started, ended less than a week ago."""
    started = Q(starts_at__lte=now) | Q(starts_at__isnull=True, created_at__lte=now)
    running = Q(ends_at__isnull=True) | Q(ends_at__gte=now - GRACE)
    return list(Challenge.objects.filter(started & running, active=True).order_by("pk"))


def purchases_of(
    customer_ids: Sequence[int], challenges: Sequence[Challenge], now: datetime
) -> dict[int, list[rules.Purchase]]:
    """Each customer's completed orders the challenges look at (two queries): those since the
    earliest start, and for a product line, the earlier ones with a line of it."""
    if not challenges or not customer_ids:
        return {}
    since = min(rule_of(c).starts_at for c in challenges)
    orders = Order.objects.filter(
        customer_id__in=customer_ids, status=OrderStatus.COMPLETED, placed_at__lte=now
    ).order_by()
    found: dict[int, tuple[int, datetime, Decimal]] = {
        pk: (customer, at, amount)
        for pk, customer, at, amount in orders.filter(placed_at__gte=since).values_list(
            "pk", "customer_id", "placed_at", "amount"
        )
    }
    skus: dict[int, list[str]] = defaultdict(list)
    prefixes = {c.sku_prefix for c in challenges if c.kind == ChallengeKind.NEW_PRODUCT_LINE}
    if prefixes:
        match = Q()
        for prefix in sorted(prefixes):
            match |= Q(sku__istartswith=prefix)
        lines = OrderLine.objects.filter(match, order__in=orders).order_by()
        for pk, customer, at, amount, sku in lines.values_list(
            "order_id", "order__customer_id", "order__placed_at", "order__amount", "sku"
        ):
            found.setdefault(pk, (customer, at, amount))
            skus[pk].append(sku)
    by_customer: dict[int, list[rules.Purchase]] = defaultdict(list)
    for pk, (customer, at, amount) in found.items():
        by_customer[customer].append(rules.Purchase(at, amount, tuple(skus.get(pk, ()))))
    return by_customer


def _event(row: ChallengeProgress, challenge: Challenge, now: datetime) -> NewEvent:
    return NewEvent(
        CHALLENGE_COMPLETED.name, "challenge_progress", row.pk, row.customer_id, at=now,
        data={"challenge_id": challenge.pk, "points": challenge.bonus_points,
              "entry_id": row.entry_id},
        key=f"{CHALLENGE_COMPLETED.name}:{challenge.pk}:{row.customer_id}",
    )  # fmt: skip


def _locked(customer_ids: Sequence[int], challenges: Sequence[Challenge]) -> dict[Pair, Any]:
    rows = ChallengeProgress.objects.select_for_update().filter(
        customer_id__in=customer_ids, challenge__in=challenges
    )
    return {
        (r.customer_id, r.challenge_id): r for r in rows.order_by("customer_id", "challenge_id")
    }


def _updates_write(rows: Sequence[ChallengeProgress]) -> None:
    """The changed rows by one prepared ``UPDATE`` run with ``executemany`` (as the tiers'
    states: the ORM's ``save`` per row took 4 of 6.6 s for 10,000 customers on SQLite)."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(ChallengeProgress._meta.db_table)
    sets = ", ".join(f"{ops.quote_name(column)} = %s" for column in UPDATED)
    sql = f"UPDATE {table} SET {sets} WHERE {ops.quote_name('id')} = %s"  # noqa: S608 -- model names

    def moment(at: datetime | None) -> Any:
        return None if at is None else ops.adapt_datetimefield_value(at)

    values = [
        (ops.adapt_decimalfield_value(r.progress, 16, 2),
         ops.adapt_decimalfield_value(r.target, 16, 2), moment(r.window_end), r.eligible,
         moment(r.updated_at), r.pk)
        for r in rows
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _write(
    challenges: Sequence[Challenge],
    found: Mapping[Pair, rules.Progress],
    customer_ids: Sequence[int],
    now: datetime,
) -> dict[str, int]:
    """Store the progress and award new completions: rows locked in customer order; new
    rows inserted with their values, changed ones updated set-wise; a completion, rare, one
    by one (the bonus, the row's entry, the event)."""
    rows = _locked(customer_ids, challenges)
    fresh = [
        ChallengeProgress(customer_id=c, challenge_id=ch, progress=p.current, target=p.target,
                          window_end=p.window_end, eligible=p.eligible, updated_at=now)
        for (c, ch), p in found.items()
        if (c, ch) not in rows and not p.completed and (p.current > 0 or not p.eligible)
    ]  # fmt: skip
    ChallengeProgress.objects.bulk_create(fresh, ignore_conflicts=True)
    completing = [pair for pair, p in found.items() if pair not in rows and p.completed]
    if completing:
        ChallengeProgress.objects.bulk_create(
            [ChallengeProgress(customer_id=c, challenge_id=ch, updated_at=now)
             for c, ch in completing], ignore_conflicts=True,
        )  # fmt: skip
        rows.update(_locked(sorted({c for c, _ in completing}), challenges))
    by_id = {c.pk: c for c in challenges}
    counts = {"updated": len(fresh), "completed": 0}
    changed, announce = [], []
    for pair, row in sorted(rows.items()):
        got = found.get(pair)
        if got is None or row.completed_at is not None:
            continue  # a completion is kept: a refund after it takes nothing back
        values = (got.current, got.target, got.window_end, got.eligible)
        if values == (row.progress, row.target, row.window_end, row.eligible) and not got.completed:
            continue
        row.progress, row.target, row.window_end, row.eligible = values
        row.updated_at = now
        counts["updated"] += 1
        if got.completed_at is None:
            changed.append(row)
            continue
        challenge = by_id[row.challenge_id]
        row.entry, _ = points_earn(
            by=None, customer_id=row.customer_id, now=now, points=challenge.bonus_points,
            key=f"challenge:{challenge.pk}:{row.customer_id}",
            cause=f"challenge: {challenge.name}"[:200],
        )  # fmt: skip
        row.completed_at = got.completed_at
        row.save()
        announce.append(_event(row, challenge, now))
        counts["completed"] += 1
    _updates_write(changed)
    events_record(announce)
    return counts


def customers_challenges_evaluate(
    *, customer_ids: Iterable[int], now: datetime, challenges: Sequence[Challenge] | None = None
) -> dict[str, int]:
    """Evaluate the customers against the live challenges (inside the caller's transaction);
    nothing while the program is off."""
    counts = {"customers": 0, "updated": 0, "completed": 0}
    if not program().enabled:
        return counts
    live = live_challenges(now) if challenges is None else list(challenges)
    ids = sorted(set(customer_ids))
    if not live or not ids:
        return counts
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        purchases = purchases_of(chunk, live, now)
        found = {
            (customer, challenge.pk): rules.progress(
                rule_of(challenge), purchases.get(customer, ()), now
            )
            for customer in chunk
            for challenge in live
        }
        for name, n in _write(live, found, chunk, now).items():
            counts[name] += n
        counts["customers"] += len(chunk)
    return counts


def challenges_evaluate_all(
    *, now: datetime, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """The nightly step: every customer with a completed order since the earliest live
    challenge's start (or a line a product-line challenge asks about), a transaction per
    chunk. While the program is off, nothing (``held``)."""
    if not program().enabled:
        return {"held": "the loyalty program is switched off", "customers": 0}
    live = live_challenges(now)
    if not live:
        return {"challenges": 0, "customers": 0, "updated": 0, "completed": 0}
    since = min(rule_of(c).starts_at for c in live)
    ids = sorted(
        set(
            Order.objects.filter(status=OrderStatus.COMPLETED, placed_at__gte=since)
            .order_by()
            .values_list("customer_id", flat=True)
            .distinct()
        )
    )
    totals = {"challenges": len(live), "customers": 0, "updated": 0, "completed": 0}
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            done = customers_challenges_evaluate(
                customer_ids=ids[start : start + CHUNK], now=now, challenges=live
            )
        for name in ("customers", "updated", "completed"):
            totals[name] += done[name]
        if on_progress is not None:
            on_progress(min(start + CHUNK, len(ids)), len(ids))
    return totals


def challenges_follow(events: Sequence[Event], *, now: datetime | None = None) -> None:
    """The consumer: the customers of the batch's order events, evaluated."""
    touched: set[int] = set()
    for event in events:
        if event.kind in ORDER_KINDS and event.customer_id:
            touched.add(event.customer_id)
            before = (event.data or {}).get("customer_before")
            if isinstance(before, int):
                touched.add(before)
    if touched:
        customers_challenges_evaluate(customer_ids=touched, now=now or timezone.now())


FOLLOWER = Consumer("loyalty.challenges", challenges_follow, kinds=ORDER_KINDS, batch=20_000)


# --- reads ---------------------------------------------------------------------------------


def challenges_list(*, user: Any, active_only: bool = False) -> QuerySet[Challenge]:
    """Every role reads the challenges (they are the program's, not a customer's)."""
    require(user, Action.VIEW)
    found = Challenge.objects.all()
    return found.filter(active=True) if active_only else found


@dataclass(frozen=True)
class ChallengeStanding:
    """A challenge as one customer stands in it, for their pages."""

    challenge: Challenge
    progress: rules.Progress
    words: str
    days_left: int | None
    awarded: bool
    points_entry_id: int | None


def challenges_of(customer_id: int, now: datetime) -> list[ChallengeStanding]:
    """The customer's challenges: the live ones computed from their orders now (so "days
    left" is today's), a completion as stored (kept, with its bonus) and the ended ones they
    completed. No access check: callers check (the signed public page, ``customer_challenges``)."""
    live = live_challenges(now)
    rows = {
        row.challenge_id: row
        for row in ChallengeProgress.objects.filter(customer_id=customer_id).select_related(
            "challenge"
        )
    }
    shown = {c.pk: c for c in live}
    shown.update({pk: r.challenge for pk, r in rows.items() if r.completed_at is not None})
    purchases = purchases_of([customer_id], list(shown.values()), now).get(customer_id, [])
    standings = []
    for pk, challenge in sorted(shown.items()):
        rule = rule_of(challenge)
        row = rows.get(pk)
        if row is not None and row.completed_at is not None:
            found = rules.Progress(row.target, row.target, row.completed_at)
        else:
            found = rules.progress(rule, purchases, now)
        standings.append(
            ChallengeStanding(
                challenge=challenge, progress=found, words=rules.describe(rule, found, now),
                days_left=None if found.completed else rules.days_left(found, now),
                awarded=row is not None and row.entry_id is not None,
                points_entry_id=row.entry_id if row is not None else None,
            )
        )  # fmt: skip
    return standings


def customer_challenges(
    *, user: Any, customer_id: int, now: datetime
) -> tuple[Customer, list[ChallengeStanding]] | None:
    """The customer's challenges as the user may see them; None outside their book."""
    customer = visible(user, Customer).filter(pk=customer_id).first()
    if customer is None:
        return None
    return customer, challenges_of(customer.pk, now)


# --- the nightly step ----------------------------------------------------------------------


def _run(run: RunContext) -> dict[str, Any]:
    def on_progress(done: int, total: int) -> None:
        run.progress(done, total, f"{done:,} of {total:,} customers")

    return challenges_evaluate_all(now=timezone.now(), on_progress=on_progress)


def _may_start(by: Any) -> None:
    from tenure.access.records import require_change

    require_change(by)


RUN_KIND = RunKind(
    name="loyalty.challenges",
    label="loyalty challenges' progress",
    function=_run,
    may_start=_may_start,
    unexpected="The challenges' evaluation stopped on an unexpected error (the details are in "
    "the worker's log); the customers evaluated stay so, run it again for the rest.",
    nightly=33,  # after health (30), before the tiers (35): a bonus may lift a tier
    nightly_may_fail=True,
)
