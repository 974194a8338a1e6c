"""Writes of the loyalty tiers: the admins' tier settings (``tiers_update``) and the customers'
tiers (``customers_tiers_evaluate``): the rule is ``tenure.domain.loyalty_tiers``.

An evaluation locks the customers' ``CustomerTier`` rows (made if missing, locked in customer
order), reads each one's dated qualifying amounts (points: the earns by their lot's moment,
less their reversals dated as the earn; spend: the completed orders' amounts by ``placed_at``,
refunded ones not counted), asks the domain, and writes a change (a ``TierChange`` row, the
state, a ``loyalty.tier_changed`` event keyed by the customer's change number) in the same
transaction. Its callers: the ``loyalty.tiers`` consumer after an earn, a reversal or an
order (upgrades at once), and the nightly step ``loyalty.tiers`` for the customers whose tier
is due a review (the new period: drops happen there). Redone, an evaluation finds the tier
already set and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tenure.access import require
from tenure.customers.models import Customer
from tenure.domain import loyalty_tiers as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.events.record import events_record
from tenure.loyalty.events import tier_event
from tenure.loyalty.models import (
    CustomerTier,
    EntryKind,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    TierBasis,
    TierChange,
    TierPeriod,
)
from tenure.loyalty.selectors import program
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import User

CHUNK = 2000
NAME_MAX, DESCRIPTION_MAX = 60, 300


def tier_rule(settings: LoyaltyProgram) -> rules.Rule:
    return rules.Rule(
        basis=rules.Basis(settings.tier_basis), period=rules.Period(settings.tier_period),
        window_days=settings.tier_window_days, tz=timezone.get_default_timezone(),
    )  # fmt: skip


def as_tier(row: LoyaltyTier) -> rules.Tier:
    return rules.Tier(row.pk, row.name, row.threshold, row.multiplier)


# --- the settings ---------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ["a number"]}) from None
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -3 or abs(number) >= 10**12:
        raise ValidationError({field: ["a number below 1,000,000,000,000, at most 3 decimals"]})
    return number


def _benefits(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise ValidationError({field: ["a list of {name, description}"]})
    if len(value) > rules.MAX_BENEFITS:
        raise ValidationError({field: [f"at most {rules.MAX_BENEFITS} benefits"]})
    out = []
    for j, item in enumerate(value):
        where = f"{field}[{j}]"
        if not isinstance(item, Mapping):
            raise ValidationError({where: ["a benefit: {name, description}"]})
        name = str(item.get("name") or "").strip()
        description = str(item.get("description") or "").strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationError({f"{where}.name": [f"a name of 1 to {NAME_MAX} characters"]})
        if len(description) > DESCRIPTION_MAX:
            raise ValidationError(
                {f"{where}.description": [f"at most {DESCRIPTION_MAX} characters"]}
            )
        out.append({"name": name, "description": description})
    return out


def _parsed(tiers: Sequence[Mapping[str, Any]]) -> list[tuple[int | None, rules.Tier, list]]:
    parsed = []
    for i, item in enumerate(tiers):
        raw_id = item.get("id")
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int)):
            raise ValidationError({f"tiers[{i}].id": ["a tier's id, or none for a new tier"]})
        name = str(item.get("name") or "").strip()
        if len(name) > NAME_MAX:
            raise ValidationError({f"tiers[{i}].name": [f"at most {NAME_MAX} characters"]})
        tier = rules.Tier(
            raw_id or 0, name, _decimal(item.get("threshold"), f"tiers[{i}].threshold"),
            _decimal(item.get("multiplier", 1), f"tiers[{i}].multiplier"),
        )  # fmt: skip
        parsed.append((raw_id, tier, _benefits(item.get("benefits", []), f"tiers[{i}].benefits")))
    try:
        rules.tiers_check([tier for _, tier, _ in parsed])
    except rules.TierError as refused:
        raise ValidationError({refused.field: [str(refused)]}) from None
    return parsed


@transaction.atomic
def tiers_update(
    *,
    by: User | None,
    basis: str,
    period: str,
    window_days: int,
    tiers: Sequence[Mapping[str, Any]],
) -> list[LoyaltyTier]:
    """The tiers (lowest first: the order is the rank) and the qualification rule (admins).
    A tier given with its ``id`` is changed, one without is new, one left out is removed
    (refused while customers hold it: 409). Thresholds that change apply to the next
    evaluations: a customer is raised at their next earn or order, lowered only at a review."""
    if by is not None:
        require(by, Action.ADMINISTER)
    if basis not in TierBasis.values:
        raise ValidationError({"basis": [f"one of {', '.join(TierBasis.values)}"]})
    if period not in TierPeriod.values:
        raise ValidationError({"period": [f"one of {', '.join(TierPeriod.values)}"]})
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not 1 <= window_days <= 3650
    ):
        raise ValidationError({"window_days": ["a number of days from 1 to 3650"]})
    parsed = _parsed(tiers)
    settings = LoyaltyProgram.objects.select_for_update().get(pk=program().pk)
    existing = {row.pk: row for row in LoyaltyTier.objects.select_for_update().order_by("pk")}
    for i, (raw_id, _, _) in enumerate(parsed):
        if raw_id is not None and raw_id not in existing:
            raise ValidationError({f"tiers[{i}].id": [f"no tier with id {raw_id}"]})
    given = {raw_id for raw_id, _, _ in parsed if raw_id is not None}
    if len(given) != len([1 for raw_id, _, _ in parsed if raw_id is not None]):
        raise ValidationError({"tiers": ["a tier given twice"]})
    removed = [row for pk, row in existing.items() if pk not in given]
    for row in removed:
        held = CustomerTier.objects.filter(tier=row).count()
        if held:
            raise Conflict(f"the tier {row.name} is held by {held} customers: it stays until "
                           "they have left it")  # fmt: skip
        row.delete()
    saved = []
    for rank, (raw_id, tier, benefits) in enumerate(parsed, 1):
        row = existing[raw_id] if raw_id is not None else LoyaltyTier()
        row.name, row.rank, row.threshold = tier.name, rank, tier.threshold
        row.multiplier, row.benefits = tier.multiplier, benefits
        try:
            row.full_clean()
        except ValidationError as refused:
            raise ValidationError({f"tiers[{rank - 1}].{name}": messages for name, messages
                                   in refused.message_dict.items()}) from None  # fmt: skip
        row.save()  # one by one: each change in the history
        saved.append(row)
    settings.tier_basis, settings.tier_period = basis, period
    settings.tier_window_days = window_days
    settings.full_clean()
    settings.save()
    return saved


# --- the customers' tiers -------------------------------------------------------------------


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _since(rule: rules.Rule, now: datetime) -> datetime | None:
    """The earliest moment an evaluation at ``now`` reads amounts from."""
    if rule.period == rules.Period.CALENDAR_YEAR:
        return datetime(now.astimezone(rule.tz).year - 1, 1, 1, tzinfo=rule.tz)
    if rule.period == rules.Period.ROLLING:
        return now - timedelta(days=rule.window_days)
    return None


def amounts_of(
    customer_ids: Sequence[int], rule: rules.Rule, now: datetime
) -> dict[int, list[rules.Amount]]:
    """Each customer's dated qualifying amounts up to ``now`` (three queries a chunk at most)."""
    since = _since(rule, now)
    found: dict[int, list[rules.Amount]] = defaultdict(list)
    if rule.basis == rules.Basis.SPEND:
        where = Q(customer_id__in=customer_ids, status=OrderStatus.COMPLETED, placed_at__lte=now)
        if since is not None:
            where &= Q(placed_at__gte=since)
        for customer_id, at, amount in (
            Order.objects.filter(where).order_by().values_list("customer_id", "placed_at", "amount")
        ):
            found[customer_id].append(rules.Amount(at, amount))
        return found
    earns = Q(kind=EntryKind.EARN, lot__earned_at__lte=now)
    reversals = Q(kind=EntryKind.REVERSE, reverses__lot__earned_at__lte=now)
    if since is not None:
        earns &= Q(lot__earned_at__gte=since)
        reversals &= Q(reverses__lot__earned_at__gte=since)
    rows = PointsEntry.objects.filter(customer_id__in=customer_ids).order_by()
    for customer_id, at, points in rows.filter(earns).values_list(
        "customer_id", "lot__earned_at", "points"
    ):
        found[customer_id].append(rules.Amount(at, Decimal(points)))
    for customer_id, at, points, off in rows.filter(reversals).values_list(
        "customer_id", "reverses__lot__earned_at", "points", "written_off"
    ):
        found[customer_id].append(rules.Amount(at, Decimal(points - off)))  # what it reversed
    return found


def _lock(customer_ids: Sequence[int]) -> dict[int, CustomerTier]:
    CustomerTier.objects.bulk_create(
        [CustomerTier(customer_id=pk) for pk in customer_ids], ignore_conflicts=True
    )
    rows = CustomerTier.objects.select_for_update().filter(customer_id__in=customer_ids)
    return {row.customer_id: row for row in rows.order_by("customer_id")}


def customers_tiers_evaluate(*, customer_ids: Iterable[int], now: datetime) -> dict[str, int]:
    """Evaluate the customers' tiers at ``now`` (inside the caller's transaction): raised at
    once when they qualify, lowered only at a review; each change stored and announced once."""
    settings = program()
    defined = list(LoyaltyTier.objects.order_by("rank"))
    counts = {"customers": 0, "up": 0, "down": 0}
    if not settings.enabled or not defined:
        return counts
    tiers = [as_tier(row) for row in defined]
    by_id = {tier.id: tier for tier in tiers}
    rows_by_id = {row.pk: row for row in defined}
    rule = tier_rule(settings)
    ids = sorted(set(customer_ids))
    for asked in _chunks(ids):
        chunk = sorted(Customer.objects.filter(pk__in=asked).values_list("pk", flat=True))
        states = _lock(chunk)  # (a customer deleted since the event has no tier to hold)
        amounts = amounts_of(chunk, rule, now)
        changed: list[tuple[CustomerTier, rules.Decision]] = []
        touched: list[CustomerTier] = []
        for customer_id in chunk:
            state = states[customer_id]
            current = by_id.get(state.tier_id) if state.tier_id else None
            decision = rules.decide(
                tiers=tiers, rule=rule, amounts=amounts.get(customer_id, []), current=current,
                reviewed_from=state.reviewed_from, now=now,
            )  # fmt: skip
            counts["customers"] += 1
            if decision.direction is not None:
                counts[decision.direction] += 1
                changed.append((state, decision))
            elif (state.reviewed_from, state.may_drop_at, state.qualifying) != (
                decision.reviewed_from,
                decision.may_drop_at,
                decision.qualifying,
            ):
                state.reviewed_from, state.may_drop_at = (
                    decision.reviewed_from,
                    decision.may_drop_at,
                )
                state.qualifying = decision.qualifying
                touched.append(state)
        _changes_write(changed, rows_by_id, now)
        _states_write(touched + [state for state, _ in changed])
    return counts


STATE_COLUMNS = ("tier_id", "since", "reviewed_from", "may_drop_at", "qualifying", "changes")


def _states_write(states: Sequence[CustomerTier]) -> None:
    """The states by one prepared ``UPDATE`` run with ``executemany`` (the ORM's
    ``bulk_update`` built a CASE per column in Python: 64 of 79 s for 10,000 changes)."""
    if not states:
        return
    ops = connection.ops
    table = ops.quote_name(CustomerTier._meta.db_table)
    sets = ", ".join(f"{ops.quote_name(column)} = %s" for column in STATE_COLUMNS)
    sql = f"UPDATE {table} SET {sets} WHERE {ops.quote_name('customer_id')} = %s"  # noqa: S608 -- model names

    def moment(at: datetime | None) -> Any:
        return None if at is None else ops.adapt_datetimefield_value(at)

    rows = [
        (state.tier_id, moment(state.since), moment(state.reviewed_from),
         moment(state.may_drop_at), ops.adapt_decimalfield_value(state.qualifying, 16, 2),
         state.changes, state.customer_id)
        for state in states
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _changes_write(
    changed: Sequence[tuple[CustomerTier, rules.Decision]],
    rows: Mapping[int, LoyaltyTier],
    now: datetime,
) -> None:
    """The chunk's changes set-wise: their history rows, the states (to be saved by the
    caller, rows locked) and one event each, keyed by the customer's change number."""
    if not changed:
        return
    made = []
    for state, decision in changed:
        before, after = decision.previous, decision.tier
        made.append(
            TierChange(
                customer_id=state.customer_id, seq=state.changes + 1,
                from_tier=rows.get(before.id) if before else None,
                to_tier=rows.get(after.id) if after else None,
                from_name=before.name if before else "", to_name=after.name if after else "",
                direction=decision.direction or "", reason=decision.reason[:300],
                qualifying=decision.qualifying, at=now,
            )
        )  # fmt: skip
        state.tier_id = after.id if after else None
        state.since, state.changes = now, state.changes + 1
        state.reviewed_from, state.may_drop_at = decision.reviewed_from, decision.may_drop_at
        state.qualifying = decision.qualifying
    TierChange.objects.bulk_create(made, batch_size=500)
    events = []
    for change, (_, decision) in zip(made, changed, strict=True):
        before, after = decision.previous, decision.tier
        data = {
            "from": change.from_name or None, "to": change.to_name or None,
            "from_tier_id": before.id if before else None,
            "to_tier_id": after.id if after else None,
            "direction": change.direction, "reason": change.reason,
        }  # fmt: skip
        events.append(tier_event(customer_id=change.customer_id, seq=change.seq,
                                 change_id=change.pk, at=now, data=data))  # fmt: skip
    events_record(events)


def review_due(now: datetime) -> list[int]:
    """The customers holding a tier not yet reviewed in the period holding ``now``."""
    start = rules.period_start(tier_rule(program()), now)
    if start is None:
        return []
    due = CustomerTier.objects.filter(tier__isnull=False).filter(
        Q(reviewed_from__isnull=True) | Q(reviewed_from__lt=start)
    )
    return sorted(due.values_list("customer_id", flat=True))


def tiers_review(
    *, now: datetime, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """The nightly review: every customer whose tier is due one, a transaction a chunk."""
    due = review_due(now)
    totals = {"customers": 0, "up": 0, "down": 0}
    for n, chunk in enumerate(_chunks(due), 1):
        with transaction.atomic():
            done = customers_tiers_evaluate(customer_ids=chunk, now=now)
        totals = {key: totals[key] + done[key] for key in totals}
        if on_progress is not None:
            on_progress(min(n * CHUNK, len(due)), len(due))
    return totals


def tiers_evaluate_all(*, now: datetime) -> dict[str, int]:
    """Every customer with points or orders (after new tiers: who qualifies already)."""
    settings = program()
    rows = Order.objects if settings.tier_basis == TierBasis.SPEND else PointsEntry.objects
    ids = set(rows.order_by().values_list("customer_id", flat=True).distinct())
    totals = {"customers": 0, "up": 0, "down": 0}
    for chunk in _chunks(sorted(ids)):
        with transaction.atomic():
            done = customers_tiers_evaluate(customer_ids=chunk, now=now)
        totals = {key: totals[key] + done[key] for key in totals}
    return totals
