"""Contract businesses: MRR movements, renewals and the sBG projection of renewal cohorts.

Inputs are plain arrays, one value per subscription: ``start`` and ``cancel`` dates (anything
pandas reads as dates; ``NaT``/``None`` when not cancelled; timezone-aware values count by
their wall-clock date in their own zone), ``amount`` charged per billing interval (>= 0) and
``interval_months`` (1 monthly, 3 quarterly, 12 yearly; :data:`INTERVAL_MONTHS` maps the
names). Periods are whole days, both ends included, as in :mod:`tenure.analytics.periods`.

Definitions
-----------
Active at a boundary
    A boundary is the *start* of a day (as in :mod:`tenure.analytics.activity`). A subscription
    is active at the start of day d when it started before d and was not cancelled before d.
    For a period [first, last]: active at its start means at the start of ``first``, active at
    its end means at the start of the day after ``last``.
MRR (monthly recurring revenue)
    Each subscription's amount brought to one month: monthly amounts as they are, quarterly
    amounts / 3, yearly amounts / 12 (``amount / interval_months``), summed over the
    subscriptions active at a boundary.
MRR movements over a period
    *start MRR* of those active at its start; *new MRR* of those started in the period and
    still active at its end; *churned MRR* of those active at its start and cancelled by its end;
    *expansion* and *contraction* MRR are 0 because amount changes are not stored per date yet
    (``amount_changes_tracked`` is False and a note says so; an upgrade recorded as a
    cancellation plus a new subscription shows as churn and new MRR); *end MRR* of those active
    at its end. So ``end = start + new - churned + expansion - contraction`` exactly.
    Subscriptions started *and* cancelled within the period are in none of these (they are
    counted in ``started_and_cancelled``).
GRR and NRR
    :func:`~tenure.analytics.metrics.gross_revenue_retention` and
    :func:`~tenure.analytics.metrics.net_revenue_retention` of the start cohort:
    ``(start - churned - contraction [+ expansion]) / start x 100``; None when start MRR is 0.
Renewal dates
    The anniversaries of the start at the billing interval: start + k x ``interval_months``
    calendar months, k = 1, 2, ...; a start on the 31st renews on the last day of shorter
    months (31 Jan -> 28 Feb -> 31 Mar, always counted from the start, never drifting).
Renewals in a period
    A subscription is *up for renewal* on each renewal date in the period (up to ``as_of``)
    that it reached while active: it was not cancelled on or before the previous renewal date
    (or its start). It *renewed* when it was not cancelled on or before that date; a
    cancellation dated on the renewal date itself is a non-renewal, and one cancelled mid-term
    (even before the period) is due, and lost, on the renewal date that term led to. A monthly
    subscription is up for renewal once per month, so counts are of renewal dates, not of
    subscriptions.
    Renewal rate: :func:`~tenure.analytics.metrics.renewal_rate`, None when nothing was due.
Renewal cohorts
    Subscriptions of one billing interval grouped by the calendar period of their start (a year
    for yearly subscriptions, a quarter for quarterly, a month for monthly). Survivors at the
    start of renewal period t are the cohort's subscriptions that renewed at their t-th renewal
    date (period 0: the cohort's size). Period t is observed once *every* member's t-th renewal
    date is on or before ``as_of``; cancellations after ``as_of`` are not known yet.
Survival projection
    The shifted-beta-geometric model (Fader & Hardie 2007, "How to project customer retention",
    eqs. 3-5) fitted by maximum likelihood to each cohort with at least ``min_renewals``
    observed renewal periods, and to all cohorts pooled (one alpha, beta; each cohort
    right-censored after its own last observed period). Survival S(t) in percent of the cohort
    for t = 0 .. observed + ``periods_ahead``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import betaln, digamma

from tenure.analytics._validation import as_float_array, check_whole
from tenure.analytics.errors import FitError, InvalidInputError
from tenure.analytics.metrics import gross_revenue_retention, net_revenue_retention, renewal_rate
from tenure.analytics.models._base import LOG_BOUND, FloatArray, maximize
from tenure.analytics.models.sbg import ShiftedBetaGeometric, survivors_to_lost

DayArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
INTERVAL_MONTHS = {"month": 1, "quarter": 3, "year": 12}
CohortBy = Literal["month", "quarter", "year"]
_COHORT_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
_FOREVER = np.iinfo(np.int64).max // 4  # renewals survived by a subscription never cancelled
NO_AMOUNT_CHANGES = (
    "Expansion and contraction are 0: amount changes are not stored per date yet (an upgrade "
    "or downgrade recorded as a cancellation and a new subscription counts as churn and new)."
)
NORMALISED = "MRR counts every subscription per month: quarterly amounts / 3, yearly / 12."


def _days(values: Any, name: str) -> DayArray:
    """Dates as ``datetime64[D]`` (NaT kept); aware datetimes by their own wall-clock date."""
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return np.atleast_1d(values.astype("datetime64[D]"))  # floors, before 1970 too
    try:
        index = pd.DatetimeIndex(pd.to_datetime(values))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(name, f"must be dates ({exc})") from None
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.to_numpy().astype("datetime64[D]")


def _day(value: Any, name: str) -> np.datetime64:
    if value is None:
        raise InvalidInputError(name, "is missing: give a date")
    day = _days([value], name)[0]
    if np.isnat(day):
        raise InvalidInputError(name, "is missing: give a date")
    return day


@dataclass(frozen=True)
class Contracts:
    """Checked subscription columns (build with :meth:`of`)."""

    start: DayArray
    cancel: DayArray  # NaT while not cancelled
    amount: FloatArray
    months: IntArray

    @cached_property
    def start_month_day(self) -> tuple[IntArray, IntArray]:
        return _month_day(self.start)

    @classmethod
    def of(
        cls, start: Any, cancel: Any, interval_months: Any, amount: Any | None = None
    ) -> Contracts:
        first = _days(start, "start")
        end = _days(cancel, "cancel")
        months = as_float_array(interval_months, "interval_months", minimum=1.0)
        check_whole(months, "interval_months")
        money = np.zeros(first.size) if amount is None else as_float_array(amount, "amount")
        if not (first.size == end.size == months.size == money.size):
            raise InvalidInputError(
                "start", "start, cancel, amount and interval_months differ in length"
            )
        if np.isnat(first).any():
            raise InvalidInputError("start", "every subscription needs a start date")
        early = end < first  # NaT compares False
        if early.any():
            raise InvalidInputError(
                "cancel",
                "is before the start",
                count=int(early.sum()),
                example=int(np.argmax(early)),
            )
        return cls(first, end, money, months.astype(np.int64))


def monthly_recurring_revenue(amount: Any, interval_months: Any) -> FloatArray:
    """MRR of each subscription: ``amount / interval_months`` (quarterly / 3, yearly / 12)."""
    months = as_float_array(interval_months, "interval_months", minimum=1.0)
    check_whole(months, "interval_months")
    return as_float_array(amount, "amount") / months


def anniversary(start: DayArray, months: Any) -> DayArray:
    """``start`` + ``months`` calendar months, clipped to the month's end (31 Jan + 1: 28 Feb)."""
    month = start.astype("datetime64[M]")
    day_of_month = (start - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(day_of_month, length - 1).astype("timedelta64[D]")


def _month_day(days: DayArray) -> tuple[IntArray, IntArray]:
    """Month number since 1970-01 and day of the month from 0."""
    month = days.astype("datetime64[M]")
    return month.astype(np.int64), (days - month.astype("datetime64[D]")).astype(np.int64)


def _renewals_through(contracts: Contracts, day: Any) -> IntArray:
    """The largest k with anniversary k on or before ``day`` (negative when it starts later)."""
    day = np.asarray(day, dtype="datetime64[D]")
    day_month, day_of = _month_day(day)
    length = (day.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[D]")
    last_of = (length - np.timedelta64(1, "D") - day).astype(np.int64) + day_of
    start_month, start_of = contracts.start_month_day
    gap = day_month - start_month
    k = np.floor_divide(gap, contracts.months)
    # Anniversary k falls in the month of ``day`` only when the gap is a whole number of
    # intervals; it is later than ``day`` when its day of the month (clipped) is.
    same_month = gap % contracts.months == 0
    return k - (same_month & (np.minimum(start_of, last_of) > day_of))


def _renewals_survived(contracts: Contracts, as_of: np.datetime64 | None = None) -> IntArray:
    """Renewals each subscription went through (cancelled after every renewal date before it)."""
    cancel = contracts.cancel
    known = ~np.isnat(cancel) if as_of is None else ~np.isnat(cancel) & (cancel <= as_of)
    day_before = np.where(known, cancel, contracts.start) - np.timedelta64(1, "D")
    survived = np.maximum(_renewals_through(contracts, day_before), 0)
    return np.where(known, survived, _FOREVER)


@dataclass(frozen=True)
class MrrMovements:
    """MRR over a period in the amounts' unit (see the module docstring); rates in percent."""

    start_mrr: float
    new_mrr: float
    churned_mrr: float
    expansion_mrr: float
    contraction_mrr: float
    end_mrr: float
    grr: float | None
    nrr: float | None
    active_at_start: int
    new: int
    churned: int
    active_at_end: int
    started_and_cancelled: int
    started_and_cancelled_mrr: float
    amount_changes_tracked: bool = False
    notes: tuple[str, ...] = field(default=())


def mrr_movements(
    start: Any,
    cancel: Any,
    amount: Any,
    interval_months: Any,
    *,
    period_start: Any,
    period_end: Any,
) -> MrrMovements:
    """Start, new, churned, expansion, contraction and end MRR, GRR and NRR over a period.

    Examples
    --------
    >>> m = mrr_movements(["2024-01-01"] * 3, [None, "2025-02-10", None], [30, 300, 1200],
    ...                   [1, 3, 12], period_start="2025-01-01", period_end="2025-03-31")
    >>> m.start_mrr, m.churned_mrr, m.nrr
    (230.0, 100.0, 56.52173913043478)
    """
    first, last = _day(period_start, "period_start"), _day(period_end, "period_end")
    if last < first:
        raise InvalidInputError(
            "period_end", f"the period ends ({last}) before it starts ({first})"
        )
    c = Contracts.of(start, cancel, interval_months, amount)
    mrr = c.amount / c.months
    after = last + np.timedelta64(1, "D")
    gone_by = ~np.isnat(c.cancel)
    at_start = (c.start < first) & ~(gone_by & (c.cancel < first))
    at_end = (c.start < after) & ~(gone_by & (c.cancel < after))
    started = (c.start >= first) & (c.start < after)
    new, churned, flash = started & at_end, at_start & ~at_end, started & ~at_end
    start_mrr, churned_mrr = float(mrr[at_start].sum()), float(mrr[churned].sum())
    churned_mrr = min(churned_mrr, start_mrr)  # a subset's sum may round above the whole's
    notes = [NORMALISED, NO_AMOUNT_CHANGES]
    if flash.any():
        notes.append(
            f"{int(flash.sum())} subscription(s) started and cancelled within the period: "
            "counted in neither new nor churned MRR."
        )
    grr = nrr = None
    if start_mrr > 0:
        grr = gross_revenue_retention(start_mrr, churned_mrr, 0.0)
        nrr = net_revenue_retention(start_mrr, churned_mrr, 0.0, 0.0)
    else:
        notes.append("No MRR at the start of the period: GRR and NRR are undefined.")
    return MrrMovements(
        start_mrr=start_mrr,
        new_mrr=float(mrr[new].sum()),
        churned_mrr=churned_mrr,
        expansion_mrr=0.0,
        contraction_mrr=0.0,
        end_mrr=float(mrr[at_end].sum()),
        grr=grr,
        nrr=nrr,
        active_at_start=int(at_start.sum()),
        new=int(new.sum()),
        churned=int(churned.sum()),
        active_at_end=int(at_end.sum()),
        started_and_cancelled=int(flash.sum()),
        started_and_cancelled_mrr=float(mrr[flash].sum()),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Renewals:
    """Renewal dates in a period reached while active, those renewed, and the rate in percent."""

    up_for_renewal: int
    renewed: int
    renewal_rate: float | None
    subscriptions: int  # distinct subscriptions with at least one renewal date due
    notes: tuple[str, ...] = field(default=())


def renewals(
    start: Any,
    cancel: Any,
    interval_months: Any,
    *,
    period_start: Any,
    period_end: Any,
    as_of: Any | None = None,
) -> Renewals:
    """Renewals due and made in [period_start, period_end] (renewal dates after ``as_of``, the
    last day observed, are not due yet). Definitions in the module docstring.

    Examples
    --------
    >>> r = renewals(["2024-03-15", "2024-05-01", "2024-02-01"], [None, "2025-05-01", None],
    ...              [12, 12, 12], period_start="2025-01-01", period_end="2025-06-30")
    >>> r.up_for_renewal, r.renewed, r.renewal_rate
    (3, 2, 66.66666666666667)
    """
    first, last = _day(period_start, "period_start"), _day(period_end, "period_end")
    if last < first:
        raise InvalidInputError(
            "period_end", f"the period ends ({last}) before it starts ({first})"
        )
    if as_of is not None:
        last = min(last, _day(as_of, "as_of"))
    c = Contracts.of(start, cancel, interval_months)
    low = np.maximum(_renewals_through(c, first - np.timedelta64(1, "D")), 0) + 1
    high = _renewals_through(c, last)
    survived = _renewals_survived(c)
    due = np.clip(np.minimum(high, survived + 1) - low + 1, 0, None)
    done = np.clip(np.minimum(high, survived) - low + 1, 0, None)
    up, made = int(due.sum()), int(done.sum())
    notes = ["Counts are renewal dates: a monthly subscription is due every month."]
    if up == 0:
        notes.append("Nothing came up for renewal in the period: the renewal rate is undefined.")
    return Renewals(
        up_for_renewal=up,
        renewed=made,
        renewal_rate=renewal_rate(up, made) if up else None,
        subscriptions=int((due > 0).sum()),
        notes=tuple(notes),
    )


def renewal_cohorts(
    start: Any,
    cancel: Any,
    interval_months: Any,
    *,
    as_of: Any,
    interval: int = 12,
    cohort_by: CohortBy | None = None,
) -> pd.DataFrame:
    """Survivors of each start cohort at the start of renewal periods 0..k, as seen on ``as_of``.

    Only subscriptions billed every ``interval`` months count; cohorts are the calendar
    ``cohort_by`` of the start (default: year, quarter or month to match the interval).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per cohort and observed period: ``cohort`` (label: "2015",
        "2015Q1", "2015-01"), ``cohort_start`` (its first day), ``period`` (t), ``survivors``
        and ``retained_pct`` (percent of the cohort). Empty when nobody started by ``as_of``.
    """
    day = _day(as_of, "as_of")
    if cohort_by is None:
        cohort_by = {1: "month", 3: "quarter", 12: "year"}.get(interval)  # type: ignore[assignment]
    if cohort_by not in _COHORT_FREQ:
        raise InvalidInputError("cohort_by", "must be month, quarter or year")
    c = Contracts.of(start, cancel, interval_months)
    keep = (c.months == interval) & (c.start <= day)
    c = Contracts(c.start[keep], c.cancel[keep], c.amount[keep], c.months[keep])
    columns = ["cohort", "cohort_start", "period", "survivors", "retained_pct"]
    if c.start.size == 0:
        return pd.DataFrame({name: [] for name in columns})
    periods = pd.PeriodIndex(c.start, freq=_COHORT_FREQ[cohort_by])
    keys, which = np.unique(periods.asi8, return_inverse=True)
    observed = np.full(keys.size, _FOREVER)
    np.minimum.at(observed, which, _renewals_through(c, day))
    observed = np.maximum(observed, 0)
    survived = np.minimum(_renewals_survived(c, day), observed[which])
    table = np.zeros((keys.size, int(observed.max()) + 1), dtype=np.int64)
    np.add.at(table, (which, survived), 1)
    table = np.cumsum(table[:, ::-1], axis=1)[:, ::-1]  # survivors: renewed at least t times
    cohort, period = np.nonzero(np.arange(table.shape[1]) <= observed[:, None])
    labels = pd.PeriodIndex.from_ordinals(keys, freq=_COHORT_FREQ[cohort_by])
    survivors = table[cohort, period]
    return pd.DataFrame(
        {
            "cohort": labels.astype(str)[cohort],
            "cohort_start": labels.start_time[cohort],
            "period": period.astype(np.int64),
            "survivors": survivors,
            "retained_pct": 100.0 * survivors / table[cohort, 0],
        }
    )[columns]


class CensoredShiftedBetaGeometric(ShiftedBetaGeometric):
    """The sBG model with right-censoring after any period: cohorts observed for different
    lengths pooled under one (alpha, beta). The log-likelihood is FH07 eq. (5) summed over
    cohorts: ``sum_t lost_t log P(T = t) + sum_t censored_t log S(t)``."""

    def fit_censored(self, lost: npt.ArrayLike, censored: npt.ArrayLike) -> Self:
        """Fit on ``lost[t-1]`` cancelled in period t and ``censored[t-1]`` still active after
        period t when observation stopped (t = 1..n). One censoring point reduces to
        :meth:`ShiftedBetaGeometric.fit`."""
        n_t = as_float_array(lost, "lost")
        c_t = as_float_array(censored, "censored")
        check_whole(n_t, "lost")
        check_whole(c_t, "censored")
        if n_t.ndim != 1 or n_t.shape != c_t.shape or n_t.size == 0:
            raise InvalidInputError("lost", "needs one count per period, as censored has")
        total = float(n_t.sum() + c_t.sum())
        model = "ShiftedBetaGeometric"
        if n_t.sum() == 0:
            raise FitError(model, "nobody cancelled: churn cannot be estimated")
        if np.flatnonzero(n_t + c_t).max() == 0:
            raise FitError(model, "one period gives one retention rate: alpha, beta unidentified")
        t = np.arange(1.0, n_t.size + 1.0)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            a, b = np.exp(theta)
            base, psi_ab = betaln(a, b), digamma(a + b)
            psi_abt = digamma(a + b + t)
            ll = n_t @ (betaln(a + 1.0, b + t - 1.0) - base) + c_t @ (betaln(a, b + t) - base)
            g_a = n_t @ (digamma(a + 1.0) - psi_abt - digamma(a) + psi_ab) + c_t @ (
                psi_ab - psi_abt
            )
            g_b = n_t @ (digamma(b + t - 1.0) - psi_abt - digamma(b) + psi_ab) + c_t @ (
                digamma(b + t) - psi_abt - digamma(b) + psi_ab
            )
            return -ll / total, -np.array([g_a * a, g_b * b]) / total

        start = self.initial_params or {"alpha": 1.0, "beta": 1.0}
        theta0 = np.log([float(start[k]) for k in self._param_names])
        theta0 = np.clip(theta0, -LOG_BOUND + 1, LOG_BOUND - 1)
        self._store(maximize(objective, theta0, n=total, model=model, names=self._param_names))
        self.n_customers_ = total
        self.n_periods_ = int(n_t.size)
        return self


@dataclass(frozen=True)
class SurvivalFit:
    """One sBG fit: a cohort's (or the pooled cohorts') observed and projected survival.

    ``observed_pct``: survivors in percent at t = 0..``observed_periods`` (pooled: the product
    of the period-by-period retention of the cohorts observed then). ``survival_pct``: the
    model's S(t) x 100 for t = 0..``observed_periods`` + periods ahead, empty when not fitted;
    ``reason`` says why (empty when fitted).
    """

    cohort: str
    customers: int
    observed_periods: int
    observed_pct: tuple[float, ...]
    alpha: float | None = None
    beta: float | None = None
    alpha_se: float | None = None
    beta_se: float | None = None
    log_likelihood: float | None = None
    survival_pct: tuple[float, ...] = ()
    reason: str = ""

    @property
    def fitted(self) -> bool:
        return not self.reason

    @property
    def projected_pct(self) -> tuple[float, ...]:
        """S(t) in percent for the periods after the last observed one."""
        return self.survival_pct[self.observed_periods + 1 :]


@dataclass(frozen=True)
class CohortProjection:
    """The pooled fit and one fit per cohort (oldest first)."""

    pooled: SurvivalFit
    cohorts: tuple[SurvivalFit, ...]
    periods_ahead: int


def _fitted(
    label: str,
    observed: FloatArray,
    customers: int,
    model: ShiftedBetaGeometric,
    horizon: int,
) -> SurvivalFit:
    return SurvivalFit(
        cohort=label,
        customers=customers,
        observed_periods=observed.size - 1,
        observed_pct=tuple(observed.tolist()),
        alpha=model.params_["alpha"],
        beta=model.params_["beta"],
        alpha_se=model.standard_errors_["alpha"],
        beta_se=model.standard_errors_["beta"],
        log_likelihood=model.log_likelihood_,
        survival_pct=tuple((100.0 * model.survival_function(np.arange(horizon + 1))).tolist()),
    )


def _fit_one(
    label: str,
    observed: FloatArray,
    customers: int,
    fit: Any,
    min_renewals: int,
    periods_ahead: int,
) -> SurvivalFit:
    n = observed.size - 1
    if n < min_renewals:
        reason = f"{n} renewal period(s) observed; the fit needs at least {min_renewals}"
        return SurvivalFit(label, customers, n, tuple(observed.tolist()), reason=reason)
    try:
        model = fit()
    except FitError as exc:
        return SurvivalFit(label, customers, n, tuple(observed.tolist()), reason=exc.reason)
    return _fitted(label, observed, customers, model, n + periods_ahead)


def _survivor_counts(label: object, rows: pd.DataFrame) -> FloatArray:
    counts = as_float_array(rows["survivors"].to_numpy(), "survivors")
    check_whole(counts, "survivors")
    if not np.array_equal(rows["period"].to_numpy(), np.arange(counts.size)):
        raise InvalidInputError("cohorts", f"cohort {label} needs periods 0, 1, 2, ... in turn")
    if counts[0] == 0:
        raise InvalidInputError("cohorts", f"cohort {label} has no subscriptions at period 0")
    survivors_to_lost(counts if counts.size > 1 else np.repeat(counts, 2))  # never increasing
    return counts


def survival_projection(
    cohorts: pd.DataFrame, periods_ahead: int = 5, *, min_renewals: int = 3
) -> CohortProjection:
    """Fit the sBG model to each renewal cohort and to all of them pooled, and project survival.

    ``cohorts`` is :func:`renewal_cohorts`' table (``cohort``, ``period``, ``survivors``). A
    cohort is fitted when at least ``min_renewals`` renewal periods are observed (the pooled
    fit: in its longest cohort); otherwise, or when the data cannot identify the parameters
    (nobody cancelled), its ``reason`` says why.
    """
    for name, value, low in (
        ("periods_ahead", periods_ahead, 0),
        ("min_renewals", min_renewals, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInputError(name, f"must be a whole number >= {low}")
    if not {"cohort", "period", "survivors"} <= set(cohorts.columns) or cohorts.empty:
        raise InvalidInputError("cohorts", "needs rows with cohort, period and survivors")
    order = "cohort_start" if "cohort_start" in cohorts.columns else "cohort"
    frame = cohorts.sort_values([order, "period"], kind="stable")
    # Pooled: lost in and censored after each period; at risk and kept for the observed curve.
    lost, censored, at_risk, kept = np.zeros((4, int(frame["period"].max())))
    fits = []
    for label, rows in frame.groupby("cohort", sort=False):
        counts = _survivor_counts(label, rows)
        n = counts.size - 1
        drops = -np.diff(counts)
        lost[:n] += drops
        at_risk[:n] += counts[:-1]
        kept[:n] += counts[1:]
        if n:
            censored[n - 1] += counts[-1]
        model = ShiftedBetaGeometric()
        fit = partial(model.fit, drops, float(counts[-1]))
        observed = 100.0 * counts / counts[0]
        fits.append(
            _fit_one(str(label), observed, int(counts[0]), fit, min_renewals, periods_ahead)
        )
    retained = np.divide(kept, at_risk, out=np.zeros_like(kept), where=at_risk > 0)
    pooled = _fit_one(
        "pooled",
        100.0 * np.concatenate([[1.0], np.cumprod(retained)]),
        int(frame.loc[frame["period"] == 0, "survivors"].sum()),
        partial(CensoredShiftedBetaGeometric().fit_censored, lost, censored),
        min_renewals,
        periods_ahead,
    )
    return CohortProjection(pooled=pooled, cohorts=tuple(fits), periods_ahead=periods_ahead)
