"""PURE: loyalty challenges (issue 17): "three orders in 60 days", "spend 200 in 30 days",
"try a new product line"; how far a customer is, and when they completed it.

A challenge counts only the customer's completed orders placed while it runs (from
``starts_at`` to ``ends_at``, or open-ended): a challenge is made to change what customers
do, so orders from before it began never complete it (a business that wants them counted
dates its start back). Three kinds:

- ``orders_count``: ``target_count`` orders (each at least ``min_amount``, when given)
  within ``window_days`` days of each other (none: while the challenge runs).
- ``spend``: completed orders adding up to ``target_amount`` within ``window_days`` days.
- ``new_product_line``: an order with a line whose SKU starts with ``sku_prefix`` (case
  aside), from a customer who had not bought that line before the challenge started (one
  who had is not eligible: they would be rewarded for what they do anyway).

**The window is rolling: any ``window_days`` days**, not days from the customer's enrolment
or from the challenge's start. Anchoring on the challenge's start would give a customer who
joins late less time than the others, and anchoring on the enrolment would make a challenge
made today impossible for every customer enrolled more than ``window_days`` ago; with a
rolling window every customer has the same chance at any moment, and the progress shown
("2 of 3 orders, 41 days left") is what the last ``window_days`` days hold, the deadline
being when the oldest of those orders leaves the window. Orders are in one window when the
last is at most ``window_days`` days after the first.

Completion is monotone: an order added (after the challenge began) can only complete a
challenge sooner, never undo it; the caller keeps a completion once awarded (a refund after
completion keeps the bonus, see ``tenure.loyalty.challenges``). Progress never exceeds the
target.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

MAX_COUNT = 1000
MAX_WINDOW_DAYS = 3650
MAX_AMOUNT = Decimal("1e12")
PREFIX_MAX = 100


class Kind(StrEnum):
    ORDERS_COUNT = "orders_count"
    SPEND = "spend"
    NEW_PRODUCT_LINE = "new_product_line"


class ChallengeError(ValueError):
    """A challenge the rules refuse; ``field`` names the one at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rule:
    kind: Kind
    starts_at: datetime
    ends_at: datetime | None = None
    target_count: int | None = None
    target_amount: Decimal | None = None
    window_days: int | None = None
    min_amount: Decimal | None = None
    sku_prefix: str = ""

    @property
    def target(self) -> Decimal:
        if self.kind == Kind.SPEND:
            return self.target_amount or Decimal(0)
        if self.kind == Kind.ORDERS_COUNT:
            return Decimal(self.target_count or 0)
        return Decimal(1)

    @property
    def window(self) -> timedelta | None:
        return None if self.window_days is None else timedelta(days=self.window_days)


@dataclass(frozen=True)
class Purchase:
    """A completed order of the customer: its moment, amount and lines' SKUs."""

    placed_at: datetime
    amount: Decimal
    skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class Progress:
    """How far the customer is: ``current`` of ``target`` (orders or an amount, never above
    the target); ``window_start`` / ``window_end``: the orders counted began at the first and
    the rest must come by the second (None: no deadline); ``completed_at``: the moment of the
    order that completed it. ``eligible`` False with the ``reason`` for a customer the
    challenge is not for."""

    current: Decimal
    target: Decimal
    completed_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    eligible: bool = True
    reason: str = ""

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


def rule_check(rule: Rule) -> Rule:
    """The rule if it is whole; else ``ChallengeError`` naming the field."""
    if rule.ends_at is not None and rule.ends_at <= rule.starts_at:
        raise ChallengeError("the end comes after the start", field="ends_at")
    if rule.window_days is not None and not 1 <= rule.window_days <= MAX_WINDOW_DAYS:
        raise ChallengeError(f"1 to {MAX_WINDOW_DAYS} days, or empty", field="window_days")
    if rule.min_amount is not None and not Decimal(0) <= rule.min_amount < MAX_AMOUNT:
        raise ChallengeError("an amount of 0 or more", field="min_amount")
    if rule.kind == Kind.ORDERS_COUNT:
        if rule.target_count is None or not 1 <= rule.target_count <= MAX_COUNT:
            raise ChallengeError(f"a number of orders, 1 to {MAX_COUNT}", field="target_count")
    elif rule.min_amount is not None:
        raise ChallengeError("only an orders challenge has a minimum order", field="min_amount")
    if rule.kind == Kind.SPEND:
        amount = rule.target_amount
        if amount is None or not Decimal(0) < amount < MAX_AMOUNT:
            raise ChallengeError("an amount above 0", field="target_amount")
    if rule.kind == Kind.NEW_PRODUCT_LINE:
        prefix = rule.sku_prefix.strip()
        if not prefix or len(prefix) > PREFIX_MAX:
            raise ChallengeError(
                f"the product line's SKU prefix, 1 to {PREFIX_MAX} characters", field="sku_prefix"
            )
    return rule


def _line(rule: Rule, purchase: Purchase) -> bool:
    prefix = rule.sku_prefix.strip().casefold()
    return any(sku.casefold().startswith(prefix) for sku in purchase.skus)


def progress(rule: Rule, purchases: Iterable[Purchase], now: datetime) -> Progress:
    """The customer's progress at ``now`` from their completed orders (any order: those
    outside the challenge's time are ignored, or for a new product line, looked at)."""
    known = sorted((p for p in purchases if p.placed_at <= now), key=lambda p: p.placed_at)
    last = now if rule.ends_at is None else min(now, rule.ends_at)
    during = [p for p in known if rule.starts_at <= p.placed_at <= last]
    if rule.kind == Kind.NEW_PRODUCT_LINE:
        return _new_line(rule, known, during)
    if rule.kind == Kind.ORDERS_COUNT:
        minimum = rule.min_amount
        counted = [p for p in during if minimum is None or p.amount >= minimum]
        weights = [Decimal(1)] * len(counted)
    else:
        counted = [p for p in during if p.amount > 0]
        weights = [p.amount for p in counted]
    return _windowed(rule, [p.placed_at for p in counted], weights, now)


def _new_line(rule: Rule, known: Sequence[Purchase], during: Sequence[Purchase]) -> Progress:
    if any(_line(rule, p) for p in known if p.placed_at < rule.starts_at):
        return Progress(
            Decimal(0), Decimal(1), eligible=False,
            reason="already bought this product line before the challenge",
        )  # fmt: skip
    first = next((p for p in during if _line(rule, p)), None)
    if first is not None:
        return Progress(Decimal(1), Decimal(1), first.placed_at, first.placed_at, first.placed_at)
    return Progress(Decimal(0), Decimal(1), None, rule.starts_at, rule.ends_at)


def _windowed(
    rule: Rule, times: Sequence[datetime], weights: Sequence[Decimal], now: datetime
) -> Progress:
    """Counts (weights of 1) or amounts: the first moment some window holds the target, else
    what the window ending ``now`` holds."""
    target, window = rule.target, rule.window
    total, start = Decimal(0), 0
    for end, at in enumerate(times):  # a window sliding over the orders, oldest first
        total += weights[end]
        while window is not None and at - times[start] > window:
            total -= weights[start]
            start += 1
        if total >= target:
            return Progress(target, target, at, times[start], at)
    if window is None:
        held = sum(weights, Decimal(0))
        return Progress(min(held, target), target, None, rule.starts_at, rule.ends_at)
    recent = [(at, w) for at, w in zip(times, weights, strict=True) if now - at <= window]
    if not recent:
        return Progress(Decimal(0), target, None, None, rule.ends_at)
    first = recent[0][0]
    end_at = first + window if rule.ends_at is None else min(first + window, rule.ends_at)
    held = sum((w for _, w in recent), Decimal(0))
    return Progress(min(held, target), target, None, first, end_at)


def days_left(found: Progress, now: datetime) -> int | None:
    """Whole days (rounded up) until the window closes; None without a deadline."""
    if found.window_end is None:
        return None
    seconds = (found.window_end - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def describe(rule: Rule, found: Progress, now: datetime) -> str:
    """The progress in the customer's words: "2 of 3 orders, 41 days left"."""
    if not found.eligible:
        return found.reason
    if found.completed:
        return "completed"
    if rule.ends_at is not None and now > rule.ends_at:
        return "ended before it was completed"
    if now < rule.starts_at:
        return "not started yet"
    if rule.kind == Kind.NEW_PRODUCT_LINE:
        words = "not yet tried"
    elif rule.kind == Kind.ORDERS_COUNT:
        unit = "order" if found.target == 1 else "orders"
        words = f"{found.current:f} of {found.target:f} {unit}"
    else:
        words = f"{found.current:.2f} of {found.target:.2f} spent"
    left = days_left(found, now)
    if left is not None:
        words += f", {left} day{'' if left == 1 else 's'} left"
    return words
