"""Customers' histories as dated events, and their lifecycle facts at any moment.

Pure: no Django. The Django side loads, per chunk of customers, each kind of event once
(orders, subscription starts and cancellations, cases opened and resolved, conversations,
survey answers, referrals) as a :class:`Series`: the customer's position and the time of each
event, sorted by customer and time. :func:`facts_at` then gives the facts of
:data:`~tenure.domain.lifecycle.facts.FACTS` of many customers, each at their own moment, with
no loop over customers: one ``searchsorted`` per kind of event finds how many of a customer's
events had happened by their moment.

Time is whole milliseconds since the epoch (``int64``): a chunk's keys ``position x span +
time`` then fit in 63 bits for over a million customers whose events span a century, so one
sorted array serves every customer. Days are ``(t - ref) / DAY_MS`` (fractional), the clock of
:mod:`tenure.domain.lifecycle.facts`; a fact that grows with time (:data:`GROWING`) also comes
with its reference time, so that the replay can solve when a rule reading it comes true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.domain.lifecycle.facts import GROWING, STAGE_CLOCK

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY_MS = 86_400_000.0
NEVER = np.int64(2**62)
"""A moment after every event: no next event."""
BEFORE = np.int64(-(2**62))
"""A moment before every event: the start of a customer's whole history."""


@dataclass(frozen=True)
class Series:
    """Dated events of one kind: ``position`` (the customer's, ascending) and ``time`` (ms,
    ascending within a customer; ties in the order they should count), and ``value`` per
    event where the kind has one (a survey score, an order's local purchase day)."""

    position: IntArray
    time: IntArray
    value: FloatArray | None = None

    @staticmethod
    def empty() -> Series:
        return Series(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))


@dataclass(frozen=True, eq=False)
class _Index:
    """A series as one sorted array of keys ``position x span + (time - base)``."""

    series: Series
    offsets: IntArray
    keys: IntArray
    base: int
    top: int
    span: int

    @classmethod
    def of(cls, series: Series, customers: int) -> _Index:
        times = series.time
        base = int(times.min()) if times.size else 0
        top = int(times.max()) if times.size else 0
        span = top - base + 3
        if customers * span >= 2**62:
            raise ValueError(
                f"{customers} customers' events spanning {span / DAY_MS:.0f} days do not fit "
                "one index: replay fewer customers at a time"
            )
        offsets = np.searchsorted(series.position, np.arange(customers + 1)).astype(np.int64)
        keys = series.position * span + (times - base)
        return cls(series, offsets, keys, base, top, span)

    def _query(self, positions: IntArray, moments: IntArray) -> IntArray:
        # Before the first event: base - 1; after the last: top + 1 (both inside the span).
        clipped = np.clip(moments, self.base - 1, self.top + 1)
        return positions * self.span + (clipped - self.base)

    def last(self, positions: IntArray, moments: IntArray) -> tuple[IntArray, IntArray]:
        """Index of each customer's last event at or before their moment, and how many
        they had by then (index -1 and 0 when none)."""
        found = np.searchsorted(self.keys, self._query(positions, moments), "right") - 1
        count = found - self.offsets[positions] + 1
        return np.where(count > 0, found, -1), count

    def after(self, positions: IntArray, moments: IntArray) -> IntArray:
        """Each customer's first event time after their moment (``NEVER``: none)."""
        times = self.series.time
        if times.size == 0:
            return np.full(positions.size, NEVER, dtype=np.int64)
        found = np.searchsorted(self.keys, self._query(positions, moments), "right")
        inside = found < self.offsets[positions + 1]
        return np.where(inside, times[np.minimum(found, max(times.size - 1, 0))], NEVER)


def _pick(values: Any, index: IntArray, fill: float) -> FloatArray:
    """``values[index]`` as floats, ``fill`` where ``index`` is -1."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.full(index.size, fill)
    return np.where(index >= 0, values[np.maximum(index, 0)], fill)


@dataclass(eq=False)
class History:
    """What happened to ``customers`` customers (positions 0 .. customers - 1).

    ``orders``: completed orders, ``value`` the order's local purchase day (a day number in the
    business's time zone, as ``tenure.analytics.activity`` counts days). ``cases_resolved``:
    the moment each case stopped being open (never before it was opened). ``nps``: answers,
    ``value`` the score. ``created``: when each customer's record begins (ms; ``BEFORE`` when
    unknown), a moment the rules are tried at (a lead is placed then). ``p_alive`` and
    ``expected_purchases_365`` come from one model fit and are known from ``model_from`` (ms)
    on: missing before it, whatever the fit says. ``median_gap_days``: the typical gap of a
    customer with one purchase day (the base's repeat buyers' median; None: nobody bought
    twice). ``timeless``: facts with no history (a category such as the customer's channel, an
    imported attribute), one value per customer: every moment reads it as it is now.
    ``manual``: moves made by hand (``value`` the stage's code), with ``manual_reasons``
    (their words, in the same order): the replay puts the customer in that stage at that
    moment, whatever the rules say then (see ``tenure.domain.lifecycle.replay``).
    """

    customers: int
    orders: Series = field(default_factory=Series.empty)
    subscription_starts: Series = field(default_factory=Series.empty)
    subscription_cancels: Series = field(default_factory=Series.empty)
    cases_opened: Series = field(default_factory=Series.empty)
    cases_resolved: Series = field(default_factory=Series.empty)
    conversations: Series = field(default_factory=Series.empty)
    meetings: Series = field(default_factory=Series.empty)
    nps: Series = field(default_factory=Series.empty)
    referrals: Series = field(default_factory=Series.empty)
    manual: Series = field(default_factory=Series.empty)
    manual_reasons: tuple[str, ...] = ()
    created: IntArray | None = None
    p_alive: FloatArray | None = None
    expected_purchases_365: FloatArray | None = None
    model_from: int | None = None
    median_gap_days: float | None = None
    timeless: dict[str, np.ndarray] = field(default_factory=dict)
    _indexes: dict[str, _Index] = field(default_factory=dict, repr=False)
    _order_days: IntArray | None = field(default=None, repr=False)

    KINDS = (
        "orders", "subscription_starts", "subscription_cancels", "cases_opened",
        "cases_resolved", "conversations", "meetings", "nps", "referrals",
    )  # fmt: skip

    def index(self, kind: str) -> _Index:
        if kind not in self._indexes:
            self._indexes[kind] = _Index.of(getattr(self, kind), self.customers)
        return self._indexes[kind]

    def purchase_days(self) -> IntArray:
        """For each order, how many distinct purchase days its customer had up to it."""
        if self._order_days is None:
            orders = self.orders
            day = orders.value if orders.value is not None else np.zeros(orders.time.size)
            new = np.ones(orders.time.size, dtype=np.int64)
            same = (orders.position[1:] == orders.position[:-1]) & (day[1:] == day[:-1])
            new[1:][same] = 0
            total = np.cumsum(new)
            start = self.index("orders").offsets[orders.position]
            before = np.where(start > 0, total[np.maximum(start - 1, 0)], 0)
            self._order_days = total - before
        return self._order_days

    def next_event(
        self, positions: IntArray, moments: IntArray, kinds: tuple[str, ...]
    ) -> IntArray:
        """Each customer's first moment after ``moments`` at which something happened to
        them: an event of one of ``kinds``, their record's start, or the model fit."""
        out = np.full(positions.size, NEVER, dtype=np.int64)
        for kind in kinds:
            out = np.minimum(out, self.index(kind).after(positions, moments))
        if self.created is not None:
            created = self.created[positions]
            out = np.where(created > moments, np.minimum(out, created), out)
        if self.model_from is not None:
            out = np.where(moments < self.model_from, np.minimum(out, self.model_from), out)
        return out


KINDS_OF: dict[str, tuple[str, ...]] = {
    "orders_count": ("orders",),
    "first_order_days_ago": ("orders",),
    "days_since_last_order": ("orders",),
    "typical_gap_days": ("orders",),
    "has_active_subscription": ("subscription_starts", "subscription_cancels"),
    "subscription_cancelled": ("subscription_starts", "subscription_cancels"),
    "days_since_cancellation": ("subscription_cancels",),
    "is_lead": ("orders", "subscription_starts"),
    "open_complaints": ("cases_opened", "cases_resolved"),
    "interactions_count": ("conversations",),
    "meetings_count": ("meetings",),
    "latest_nps": ("nps",),
    "referrals_count": ("referrals",),
}
"""The kinds of event each fact changes with (the model facts change at the fit)."""


def kinds_needed(facts: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The kinds of event to load for these facts, in ``History.KINDS`` order."""
    wanted = {kind for name in facts for kind in KINDS_OF.get(name, ())}
    return tuple(kind for kind in History.KINDS if kind in wanted)


_ORDER_FACTS = frozenset(name for name, kinds in KINDS_OF.items() if "orders" in kinds)


@dataclass(frozen=True)
class MomentFacts:
    """Facts of some customers, each at their own moment: ``columns`` (fact -> values, as
    :func:`~tenure.domain.lifecycle.lifecycle_evaluate` reads them) and, for the facts that
    grow with time, ``refs`` (fact -> the moment in ms from which it counts, NaN when
    missing), so that ``value(t) = (t - ref) / DAY_MS`` until the next event."""

    columns: dict[str, np.ndarray]
    refs: dict[str, FloatArray]


def facts_at(
    history: History,
    positions: IntArray,
    moments: IntArray,
    entered: FloatArray,
    needed: frozenset[str] | set[str],
) -> MomentFacts:
    """The ``needed`` facts of the customers at ``positions``, each as of their moment
    (every event at or before it counts), with ``entered`` (ms, NaN: in no stage) the moment
    each entered their stage. The same definitions as the database's facts as of ``now``
    (``tenure.lifecycle.facts``)."""
    t = moments.astype(np.float64)
    refs: dict[str, FloatArray] = {}
    out: dict[str, np.ndarray] = {}
    n = positions.size
    if needed & _ORDER_FACTS:
        index = history.index("orders")
        last, count = index.last(positions, moments)
        first = np.where(count > 0, index.offsets[positions], -1)
        times = history.orders.time
        refs["first_order_days_ago"] = _pick(times, first, np.nan)
        refs["days_since_last_order"] = _pick(times, last, np.nan)
        out["orders_count"] = count.astype(np.float64)
        if "typical_gap_days" in needed:
            days = history.orders.value if history.orders.value is not None else times * 0.0
            purchase_days = _pick(history.purchase_days(), last, 0.0)
            span = _pick(days, last, np.nan) - _pick(days, first, np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                gap = np.where(purchase_days >= 2, span / (purchase_days - 1), np.nan)
            single = (count > 0) & (purchase_days < 2)
            median = np.nan if history.median_gap_days is None else history.median_gap_days
            out["typical_gap_days"] = np.where(single, median, gap)
    if needed & {"has_active_subscription", "subscription_cancelled", "days_since_cancellation",
                 "is_lead"}:  # fmt: skip
        _, started = history.index("subscription_starts").last(positions, moments)
        cancel, cancelled = history.index("subscription_cancels").last(positions, moments)
        active = started - cancelled > 0
        out["has_active_subscription"] = active
        out["subscription_cancelled"] = ~active & (cancelled > 0)
        refs["days_since_cancellation"] = _pick(history.subscription_cancels.time, cancel, np.nan)
        out["_subscribed_ever"] = started > 0
    if "is_lead" in needed:
        out["is_lead"] = (out["orders_count"] == 0) & ~out["_subscribed_ever"]
    out.pop("_subscribed_ever", None)
    if "open_complaints" in needed:
        _, opened = history.index("cases_opened").last(positions, moments)
        _, resolved = history.index("cases_resolved").last(positions, moments)
        out["open_complaints"] = (opened - resolved).astype(np.float64)
    for name, kind in (("interactions_count", "conversations"), ("meetings_count", "meetings"),
                       ("referrals_count", "referrals")):  # fmt: skip
        if name in needed:
            out[name] = history.index(kind).last(positions, moments)[1].astype(np.float64)
    if "latest_nps" in needed:
        answer, _ = history.index("nps").last(positions, moments)
        out["latest_nps"] = _pick(history.nps.value, answer, np.nan)
    for name in ("p_alive", "expected_purchases_365"):
        if name in needed:
            values = getattr(history, name)
            if history.model_from is None or values is None:
                out[name] = np.full(n, np.nan)
            else:
                fitted = moments >= history.model_from
                out[name] = np.where(fitted, values[positions], np.nan)
    refs[STAGE_CLOCK] = entered.astype(np.float64)
    for name in GROWING:
        if name in needed:
            out[name] = (t - refs[name]) / DAY_MS
    for name in needed:
        if name in history.timeless:  # no history: today's value at every moment
            out[name] = history.timeless[name][positions]
    missing = set(needed) - set(out)
    if missing:
        raise ValueError(f"no history or value for the facts {', '.join(sorted(missing))}")
    return MomentFacts({name: out[name] for name in needed}, refs)


def purchase_gaps(orders: Series, customers: int) -> FloatArray:
    """Each repeat buyer's mean gap between purchase days, first to last over the gaps
    between them (customers with one purchase day left out): what the base's median gap is
    taken over, as ``tenure.analytics.activity`` does."""
    history = History(customers=customers, orders=orders)
    if orders.time.size == 0:
        return np.empty(0)
    offsets = history.index("orders").offsets
    counts = np.diff(offsets)
    buyers = np.flatnonzero(counts > 0)
    first, last = offsets[buyers], offsets[buyers + 1] - 1
    days = orders.value if orders.value is not None else np.zeros(orders.time.size)
    purchase_days = history.purchase_days()[last]
    repeat = purchase_days >= 2
    span = days[last[repeat]] - days[first[repeat]]
    return np.asarray(span / (purchase_days[repeat] - 1), dtype=np.float64)
