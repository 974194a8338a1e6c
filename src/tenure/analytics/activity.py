"""What "active" and "lost" mean: a rule the business chooses, named next to every figure.

Non-contractual buying has no moment of leaving, so a customer is *lost* by a rule:

- ``gap_multiple`` (default): no order for k times the customer's own typical gap between
  orders (their mean gap: first to last purchase day over the gaps between them); customers
  with one purchase day use the median gap of the repeat buyers counted with them;
- ``p_alive``: the fitted BG/NBD probability that the customer is still buying fell below a
  threshold (the model counts a customer with one purchase day as alive);
- ``fixed_days``: no order for a fixed number of days.

Contract customers are not judged by silence: a customer with a subscription that started is
active while one of their subscriptions is not cancelled (``contract_*`` in :class:`PurchaseLog`).

Time is in whole days on one clock (e.g. days since 1970-01-01 in the business's time zone).
A boundary ``at`` is the *start* of day ``at``: orders on days before it count, and a customer's
last-order age there is ``at - last purchase day`` (an order yesterday is 1 day old).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from tenure.analytics._validation import as_float_array
from tenure.analytics.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
RuleKind = Literal["gap_multiple", "p_alive", "fixed_days"]
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
# P(alive) of the fitted purchase model, from (frequency, recency, T) in days.
AliveModel = Callable[[FloatArray, FloatArray, FloatArray], FloatArray]

TIMES = "\N{MULTIPLICATION SIGN}"  # as people write "3 x the gap"
_CONTRACTS = " Customers with a subscription are active until it is cancelled."


@dataclass(frozen=True)
class ActivityRule:
    """When a non-contractual customer counts as lost (see the module docstring)."""

    kind: RuleKind = "gap_multiple"
    gap_multiple: float = 3.0
    p_alive_threshold: float = 0.3
    days: int = 365

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InvalidInputError("kind", f"must be one of {', '.join(RULE_KINDS)}")
        k = self.gap_multiple
        if (
            isinstance(k, bool)
            or not isinstance(k, int | float)
            or not (math.isfinite(k) and k > 0)
        ):
            raise InvalidInputError("gap_multiple", f"must be a finite number > 0, got {k!r}")
        p = self.p_alive_threshold
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p < 1:
            raise InvalidInputError(
                "p_alive_threshold", f"must be a probability strictly between 0 and 1, got {p!r}"
            )
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise InvalidInputError(
                "days", f"must be a whole number of days >= 1, got {self.days!r}"
            )

    def describe(self, *, median_gap_days: float | None = None) -> str:
        """The rule as a sentence, for display next to the figures it produced."""
        if self.kind == "fixed_days":
            return f"Lost after no order for {self.days} days." + _CONTRACTS
        if self.kind == "p_alive":
            return (
                "Lost when the BG/NBD probability that the customer is still buying (P(alive)) "
                f"falls below {self.p_alive_threshold:g}; customers with one order count as "
                "alive, as the model has it." + _CONTRACTS
            )
        k = f"{self.gap_multiple:g}"
        if median_gap_days is None:
            single = f"no repeat buyer yet to take a median gap from, so {self.days} days"
        else:
            single = (
                f"{k} {TIMES} the median gap of {median_gap_days:.0f} days = "
                f"{self.gap_multiple * median_gap_days:.0f} days"
            )
        return (
            f"Lost after no order for {k} {TIMES} the customer's own typical gap between orders "
            f"(customers with one order: {single})." + _CONTRACTS
        )

    def inactivity_limit_days(
        self, typical_gap_days: npt.ArrayLike, *, median_gap_days: float | None = None
    ) -> FloatArray:
        """Days of silence after which each customer is lost (``gap_multiple``, ``fixed_days``).

        ``typical_gap_days`` is NaN for a customer with one purchase day; they get
        ``gap_multiple * median_gap_days``, or ``days`` when there is no median to take.
        """
        gaps = _gaps(typical_gap_days)
        if self.kind == "fixed_days":
            return np.full(gaps.shape, float(self.days))
        if self.kind != "gap_multiple":
            raise InvalidInputError("kind", "a P(alive) rule has no fixed silence limit")
        if median_gap_days is not None:
            median_gap_days = float(median_gap_days)
            if not (math.isfinite(median_gap_days) and median_gap_days > 0):
                raise InvalidInputError("median_gap_days", "must be a finite number of days > 0")
        single = self.days if median_gap_days is None else self.gap_multiple * median_gap_days
        return np.where(np.isnan(gaps), single, self.gap_multiple * gaps)

    def is_active(
        self,
        last_order_age_days: npt.ArrayLike,
        typical_gap_days: npt.ArrayLike | None = None,
        p_alive: npt.ArrayLike | None = None,
        *,
        median_gap_days: float | None = None,
    ) -> BoolArray:
        """Whether each customer is active, vectorised.

        Parameters
        ----------
        last_order_age_days : array_like
            Days from the last purchase day to the moment judged (>= 0).
        typical_gap_days : array_like, optional
            The customer's mean gap between purchase days (> 0), NaN with one purchase day.
            Needed by ``gap_multiple``.
        p_alive : array_like, optional
            P(alive) at that moment, in [0, 1]; needed by ``p_alive``.
        median_gap_days : float, optional
            The population's median gap, for customers with one purchase day.

        A customer is lost once the silence reaches the limit (``age >= limit``), or when
        P(alive) is below the threshold.
        """
        age = as_float_array(last_order_age_days, "last_order_age_days")
        if self.kind == "p_alive":
            if p_alive is None:
                raise InvalidInputError("p_alive", "is needed by a P(alive) rule")
            alive = as_float_array(p_alive, "p_alive")
            if (alive > 1).any():
                raise InvalidInputError("p_alive", "must be a probability in [0, 1]")
            if alive.shape != age.shape:
                raise InvalidInputError("p_alive", "must have one value per customer")
            return np.asarray(alive >= self.p_alive_threshold)
        if self.kind == "gap_multiple" and typical_gap_days is None:
            raise InvalidInputError("typical_gap_days", "is needed by a gap-multiple rule")
        gaps = np.full(age.shape, np.nan) if typical_gap_days is None else typical_gap_days
        limit = self.inactivity_limit_days(gaps, median_gap_days=median_gap_days)
        if limit.shape != age.shape:
            raise InvalidInputError("typical_gap_days", "must have one value per customer")
        return np.asarray(age < limit)


def _gaps(typical_gap_days: npt.ArrayLike) -> FloatArray:
    try:
        gaps = np.asarray(typical_gap_days, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("typical_gap_days", f"must be numbers ({exc})") from None
    known = gaps[~np.isnan(gaps)]
    if (~np.isfinite(known)).any() or (known <= 0).any():
        raise InvalidInputError(
            "typical_gap_days", "must be > 0 days (NaN for a customer with one purchase day)"
        )
    return gaps


def _index_array(values: npt.ArrayLike, name: str, n: int) -> IntArray:
    array = np.asarray(values)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise InvalidInputError(name, "must be whole customer positions")
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= n):
        raise InvalidInputError(name, f"must be customer positions from 0 to {n - 1}")
    return array


@dataclass(frozen=True)
class PurchaseLog:
    """A population's completed orders and contracts, on one day clock (build with :meth:`of`).

    Orders are sorted by customer, then day; ``distinct`` marks a customer's first order of
    each day (several orders in one day are one purchase, as in the RFM summary).
    """

    n_customers: int
    order_customer: IntArray
    order_day: FloatArray
    distinct: BoolArray
    contract_customer: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    contract_start: FloatArray = field(default_factory=lambda: np.zeros(0))
    contract_end: FloatArray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(
        cls,
        n_customers: int,
        order_customer: npt.ArrayLike,
        order_day: npt.ArrayLike,
        *,
        contract_customer: npt.ArrayLike = (),
        contract_start: npt.ArrayLike = (),
        contract_end: npt.ArrayLike = (),
    ) -> PurchaseLog:
        """Check and sort the columns.

        ``order_day``: whole day of each completed order; ``contract_*``: one row per
        subscription, its start day and cancellation day (``inf`` while not cancelled).
        """
        if isinstance(n_customers, bool) or not isinstance(n_customers, int) or n_customers < 0:
            raise InvalidInputError("n_customers", "must be a whole number >= 0")
        who = _index_array(order_customer, "order_customer", n_customers)
        day = as_float_array(order_day, "order_day", minimum=None)
        if who.shape != day.shape or who.ndim != 1:
            raise InvalidInputError("order_day", "must have one value per order")
        if (day != np.floor(day)).any():
            raise InvalidInputError("order_day", "must be whole days")
        order = np.lexsort((day, who))
        who, day = who[order], day[order]
        distinct = np.ones(who.size, dtype=bool)
        distinct[1:] = (who[1:] != who[:-1]) | (day[1:] != day[:-1])
        c_who = _index_array(contract_customer, "contract_customer", n_customers)
        c_start = as_float_array(contract_start, "contract_start", minimum=None)
        c_end = np.asarray(contract_end, dtype=np.float64)
        if not (c_who.shape == c_start.shape == c_end.shape) or c_who.ndim != 1:
            raise InvalidInputError("contract_start", "must have one value per subscription")
        if np.isnan(c_end).any() or (c_end < c_start).any():
            raise InvalidInputError(
                "contract_end", "must be on or after the start (inf while not cancelled)"
            )
        return cls(n_customers, who, day, distinct, c_who, c_start, c_end)


@dataclass(frozen=True)
class Snapshot:
    """Who was a customer and who was active at the start of day ``at``."""

    at: float
    acquired: BoolArray
    active: BoolArray
    median_gap_days: float | None


def snapshot(
    log: PurchaseLog, at: float, rule: ActivityRule, *, p_alive: AliveModel | None = None
) -> Snapshot:
    """Judge every customer of ``log`` at the start of day ``at``, vectorised.

    A customer is *acquired* once they have a completed order or a started subscription before
    ``at``. Contract customers are active while a subscription runs (started before ``at``,
    cancelled on day ``at`` or later, or never); everyone else by ``rule`` on the orders before
    ``at``. ``p_alive`` (a fitted model's P(alive) in days) is needed by a ``p_alive`` rule.
    """
    n = log.n_customers
    before = log.order_day < at
    orders = np.bincount(log.order_customer[before], minlength=n)
    days = np.bincount(log.order_customer[before & log.distinct], minlength=n)
    # Orders are sorted by customer, then day: a customer's orders before ``at`` are the first
    # ``orders`` of their block. The NaN pad makes every index valid for customers without one.
    offsets = np.searchsorted(log.order_customer, np.arange(n))
    padded = np.append(log.order_day, np.nan)
    bought = orders > 0
    first = np.where(bought, padded[offsets], np.nan)
    last = np.where(bought, padded[offsets + orders - 1], np.nan)
    repeat = days >= 2
    gaps = np.full(n, np.nan)
    gaps[repeat] = (last[repeat] - first[repeat]) / (days[repeat] - 1)
    median = float(np.median(gaps[repeat])) if repeat.any() else None
    alive = None
    if rule.kind == "p_alive":
        if p_alive is None:
            raise InvalidInputError("p_alive", "a P(alive) rule needs a fitted purchase model")
        alive = np.ones(n)
        if bought.any():
            x = (days[bought] - 1).astype(np.float64)
            alive[bought] = p_alive(x, last[bought] - first[bought], (at - 1) - first[bought])
    age = np.where(bought, at - last, 0.0)
    by_orders = bought & rule.is_active(
        age,
        gaps if rule.kind == "gap_multiple" else None,
        alive,
        median_gap_days=median if rule.kind == "gap_multiple" else None,
    )
    started = log.contract_start < at
    running = started & (log.contract_end >= at)
    contract = np.bincount(log.contract_customer[started], minlength=n) > 0
    contract_active = np.bincount(log.contract_customer[running], minlength=n) > 0
    return Snapshot(
        at=at,
        acquired=bought | contract,
        active=np.where(contract, contract_active, by_orders),
        median_gap_days=median,
    )


@dataclass(frozen=True)
class RetentionCounts:
    """DOMAIN.md's S, E, N and lost between two snapshots (E = S - lost + N).

    ``acquired`` (N) counts everyone who joined the active base during the period and is active
    at its end: ``new`` customers (first order or subscription in the period) and ``won_back``
    ones (customers before, but lost at the start). Counting the won-back with N keeps E - N
    the part of S that stayed, so the retention rate never exceeds 100 %.
    """

    start: int
    end: int
    acquired: int
    lost: int
    new: int
    won_back: int


def retention_counts(start: Snapshot, end: Snapshot) -> RetentionCounts:
    """Count S, E, N, lost between ``start`` and a later ``end`` snapshot of one population."""
    if start.active.shape != end.active.shape:
        raise InvalidInputError("end", "must be a snapshot of the same population")
    if end.at < start.at:
        raise InvalidInputError("end", "must not be before the start")
    new = end.active & ~start.acquired
    won_back = end.active & start.acquired & ~start.active
    return RetentionCounts(
        start=int(start.active.sum()),
        end=int(end.active.sum()),
        acquired=int(new.sum() + won_back.sum()),
        lost=int((start.active & ~end.active).sum()),
        new=int(new.sum()),
        won_back=int(won_back.sum()),
    )
