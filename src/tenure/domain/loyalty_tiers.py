"""PURE: loyalty tiers (issue 17): which tier a customer holds now, and when it may drop.

A business defines tiers (a threshold each, rising with the rank) and one qualification rule:
what counts (points earned net of reversals, or the spend of completed orders net of refunds:
never the balance; the caller gives the dated amounts) over which period:

- ``lifetime``: everything ever counted. There is no boundary, so a tier is never taken away
  ("lifetime status").
- ``calendar_year``: *qualify this year, keep it through the next* (the rule of the airlines'
  and hotels' programs and of most retail ones: a status earned in 2026 is held until the end
  of 2027). The tier earned is the best of last year's whole total and this year's total so
  far; it rises at once, and it is reviewed at each January 1st (in the business's time zone):
  then, with nothing yet counted in the new year, the customer keeps what last year earned,
  and drops only if last year earned less.
- ``rolling``: the last ``window_days`` days; rises at once, and is reviewed at each day's
  start: it drops when the window, moved, no longer qualifies.

So a tier rises the moment the amounts qualify, and falls only at a *review*: the first
evaluation in a period after the one the tier was last set or reviewed in (``reviewed_from``
is that period's start). Between reviews a refund lowers the amounts but never the tier;
at the review the tier is recomputed on the amounts as they stand, so the refunded order no
longer counts. A review may drop several tiers at once (no "soft landing").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum


class Basis(StrEnum):
    POINTS = "points"
    SPEND = "spend"


class Period(StrEnum):
    LIFETIME = "lifetime"
    CALENDAR_YEAR = "calendar_year"
    ROLLING = "rolling"


MAX_TIERS = 10
MAX_BENEFITS = 20
MAX_MULTIPLIER = Decimal("10")


class TierError(ValueError):
    """Tier settings the rules refuse; ``field`` names the one at fault: ``tiers[1].threshold``."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Tier:
    id: int
    name: str
    threshold: Decimal  # points, or an amount of the currency
    multiplier: Decimal = Decimal(1)  # applied to an order's earn


@dataclass(frozen=True)
class Rule:
    basis: Basis = Basis.POINTS
    period: Period = Period.CALENDAR_YEAR
    window_days: int = 365
    tz: tzinfo = UTC


@dataclass(frozen=True)
class Amount:
    at: datetime  # when it counted: the order's moment (a refund counts at its order's)
    value: Decimal


@dataclass(frozen=True)
class Decision:
    tier: Tier | None  # None: below every tier
    previous: Tier | None
    reviewed_from: datetime | None  # store: the start of the period this evaluation was in
    may_drop_at: datetime | None  # the first review that could lower it (None: never)
    qualifying: Decimal  # the amount that decided (the best of the periods counted)
    reason: str  # in words, for the history and the event

    @property
    def direction(self) -> str | None:
        before = self.previous.threshold if self.previous else Decimal(-1)
        after = self.tier.threshold if self.tier else Decimal(-1)
        return "up" if after > before else "down" if after < before else None


def tiers_check(tiers: Sequence[Tier]) -> list[Tier]:
    """The tiers by rank (the order given): names unique and given, thresholds above 0 and
    rising with the rank, multipliers from 1 to 10. Refused naming the tier's field."""
    if len(tiers) > MAX_TIERS:
        raise TierError(f"at most {MAX_TIERS} tiers", field="tiers")
    names: set[str] = set()
    before: Tier | None = None
    for i, tier in enumerate(tiers):
        name = tier.name.strip()
        if not name:
            raise TierError("give the tier a name", field=f"tiers[{i}].name")
        if name.casefold() in names:
            raise TierError(f"a second tier named {name!r}", field=f"tiers[{i}].name")
        names.add(name.casefold())
        if tier.threshold <= 0:
            raise TierError("a threshold above 0", field=f"tiers[{i}].threshold")
        if before is not None and tier.threshold <= before.threshold:
            raise TierError(
                f"above the tier below it ({before.name}: {before.threshold})",
                field=f"tiers[{i}].threshold",
            )
        if not Decimal(1) <= tier.multiplier <= MAX_MULTIPLIER:
            raise TierError(
                f"a multiplier from 1 to {MAX_MULTIPLIER}", field=f"tiers[{i}].multiplier"
            )
        before = tier
    return list(tiers)


def _day_start(moment: datetime, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _year_start(year: int, tz: tzinfo) -> datetime:
    return datetime(year, 1, 1, tzinfo=tz)


def period_start(rule: Rule, now: datetime) -> datetime | None:
    """The start of the review period holding ``now``: January 1st, today's start, or None
    (lifetime: no reviews)."""
    if rule.period == Period.CALENDAR_YEAR:
        return _year_start(now.astimezone(rule.tz).year, rule.tz)
    if rule.period == Period.ROLLING:
        return _day_start(now, rule.tz)
    return None


def total(amounts: Iterable[Amount], start: datetime | None, end: datetime) -> Decimal:
    """The amounts counted in ``(start, end]`` (``start`` None: from the beginning); for the
    calendar, ``start`` is inclusive (see ``_between``)."""
    return sum((a.value for a in amounts if (start is None or a.at > start) and a.at <= end),
               Decimal(0))  # fmt: skip


def _between(amounts: Iterable[Amount], start: datetime, end: datetime) -> Decimal:
    """The amounts dated in ``[start, end)``: a calendar year."""
    return sum((a.value for a in amounts if start <= a.at < end), Decimal(0))


def tier_of(amount: Decimal, tiers: Sequence[Tier]) -> Tier | None:
    """The highest tier whose threshold ``amount`` reaches."""
    reached = [tier for tier in tiers if amount >= tier.threshold]
    return max(reached, key=lambda tier: tier.threshold, default=None)


def _rank(tier: Tier | None) -> Decimal:
    return tier.threshold if tier is not None else Decimal(-1)


def _words(rule: Rule, amount: Decimal) -> str:
    if rule.basis == Basis.SPEND:
        return f"spent {amount:,.2f}"
    return f"{_number(amount)} points earned"


def _rolling_drop(amounts: Sequence[Amount], rule: Rule, now: datetime, held: Tier) -> datetime:
    """The first day's start at which the window, moved with nothing more counted, falls below
    ``held``'s threshold."""
    window = timedelta(days=rule.window_days)
    inside = sorted((a for a in amounts if now - window < a.at <= now), key=lambda a: a.at)
    left = sum((a.value for a in inside), Decimal(0))
    if left < held.threshold:  # held since before a refund: the next review
        return _day_start(now, rule.tz) + timedelta(days=1)
    i = 0
    while i < len(inside):
        at = inside[i].at
        while i < len(inside) and inside[i].at == at:  # the same moment leaves together
            left -= inside[i].value
            i += 1
        if left < held.threshold:
            out = at + window  # out of (d - window, d] once d >= at + window
            start = _day_start(out, rule.tz)
            return start if start >= out else start + timedelta(days=1)
    return _day_start(now, rule.tz) + timedelta(days=1)


def decide(
    *,
    tiers: Sequence[Tier],
    rule: Rule,
    amounts: Sequence[Amount],
    current: Tier | None,
    reviewed_from: datetime | None,
    now: datetime,
) -> Decision:
    """The tier the customer holds at ``now``, given the amounts counted so far and the tier
    held (``current``, set or last reviewed in the period starting ``reviewed_from``)."""
    counted = [a for a in amounts if a.at <= now]
    start = period_start(rule, now)
    review = start is not None and (reviewed_from is None or reviewed_from < start)
    local = now.astimezone(rule.tz)
    by_this: Tier | None = None
    if rule.period == Period.CALENDAR_YEAR:
        this_start = _year_start(local.year, rule.tz)
        last = _between(counted, _year_start(local.year - 1, rule.tz), this_start)
        this = _between(counted, this_start, _year_start(local.year + 1, rule.tz))
        by_last, by_this = tier_of(last, tiers), tier_of(this, tiers)
        this_wins = _rank(by_this) >= _rank(by_last)
        earned, amount = (by_this, this) if this_wins else (by_last, last)
        what = (f"{_words(rule, this)} in {local.year}" if this_wins and by_this is not None
                else f"{_words(rule, last)} in {local.year - 1}, {_words(rule, this)} in "
                f"{local.year}")  # fmt: skip
    elif rule.period == Period.ROLLING:
        amount = total(counted, now - timedelta(days=rule.window_days), now)
        earned = tier_of(amount, tiers)
        what = f"{_words(rule, amount)} in the last {rule.window_days} days"
    else:
        amount = total(counted, None, now)
        earned = tier_of(amount, tiers)
        what = f"{_words(rule, amount)} in all"
    held = earned if review or _rank(earned) >= _rank(current) else current
    may_drop: datetime | None = None
    if held is not None and rule.period == Period.CALENDAR_YEAR:
        years = 2 if _rank(by_this) >= _rank(held) else 1  # kept through the next year
        may_drop = _year_start(local.year + years, rule.tz)
    elif held is not None and rule.period == Period.ROLLING:
        may_drop = _rolling_drop(counted, rule, now, held)
    reason = _reason(rule, current, held, what, local, review)
    return Decision(held, current, start, may_drop, amount, reason)


def _reason(
    rule: Rule, current: Tier | None, held: Tier | None, what: str, local: datetime,
    review: bool,
) -> str:  # fmt: skip
    if _rank(held) > _rank(current):
        assert held is not None
        return f"qualified for {held.name}: {what} (threshold {_number(held.threshold)})"
    if _rank(held) < _rank(current):
        assert current is not None
        if rule.period == Period.CALENDAR_YEAR:
            why = f"the {local.year} review"
        else:
            why = f"the {rule.window_days}-day window moved"
        kept = f"; {held.name} kept" if held is not None else ""
        return f"{why}: {what}, below {current.name}'s {_number(current.threshold)}{kept}"
    return f"{'kept at the review' if review else 'unchanged'}: {what}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def multiplier_of(tier: Tier | None) -> Decimal:
    return tier.multiplier if tier is not None else Decimal(1)
