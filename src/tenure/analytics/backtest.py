"""Which churn ranking to trust, decided on the business's own history: a time-split backtest.

Fit on the purchases up to ``T - h``, score every customer seen by then with each candidate
ranking, and compare with who bought in ``(T - h, T]``: a customer who did not has *lapsed*
(the observable stand-in for having dropped out). Each candidate gets its AUC (the chance that
a lapsed customer ranks above one who bought, ties counting half: the Mann-Whitney statistic)
and the share of its top 10 % that truly lapsed. The ranking used is the best one; the naive
baseline, days since the last order, is itself a candidate, so the choice is never worse than
it on the backtest.

Candidates (:data:`RANKINGS`): 1 - P(alive) of BG/NBD, MBG/NBD and Pareto/NBD; days since the
last order; and days since the last order over the customer's own typical gap.

The holdout length ``h`` comes from the business's rhythm (:func:`holdout_days`): three times the
median of the customers' mean gaps between purchase days, between 30 and 365 days, and at most
half the history. Three gaps, because a customer still buying at the typical rhythm goes three
gaps without an order with probability e^-3, about 5 %, if orders arrive as a Poisson process;
so a silent holdout mostly means a lapse, not a pause. At least 30 days, so that a business of
weekly buyers is not judged on a holiday fortnight; at most a year, so that a slow business is
judged on what it can still act on; at most half the history, so the models keep enough to fit.

Time is in days; ``day`` may be any day number (days since 1970-01-01 in the app).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from scipy.stats import rankdata

from tenure.analytics.errors import AnalyticsError, InvalidInputError
from tenure.analytics.models import BetaGeo, ModifiedBetaGeo, ParetoNBD
from tenure.analytics.models._customer import CustomerBaseModel

FloatArray = npt.NDArray[np.float64]

HOLDOUT_GAPS = 3.0
HOLDOUT_MIN_DAYS = 30
HOLDOUT_MAX_DAYS = 365
# A model must beat the simpler rankings by more than this AUC to be preferred to them: on a
# near tie the simpler ranking is the one a person can check.
TIE_TOLERANCE = 0.001
BASELINE = "days_since_last_order"
# Each model's search stops after this long (a FitError for that model only): Pareto/NBD's
# likelihood slows by orders of magnitude when its s and beta run off to infinity together.
FIT_SECONDS = 30.0

MODELS: dict[str, type[CustomerBaseModel]] = {
    "BetaGeo": BetaGeo,
    "ModifiedBetaGeo": ModifiedBetaGeo,
    "ParetoNBD": ParetoNBD,
}


@dataclass(frozen=True)
class Ranking:
    """A candidate churn ranking: its words, and the model it needs (None: none)."""

    key: str
    label: str
    model: str | None


# In order of preference on a tie: the simplest first.
RANKINGS: dict[str, Ranking] = {
    r.key: r
    for r in (
        Ranking(BASELINE, "days since the last order", None),
        Ranking("silence_vs_rhythm", "days since the last order / their usual gap", None),
        Ranking("mbg_nbd", "MBG/NBD: 1 - P(alive)", "ModifiedBetaGeo"),
        Ranking("pareto_nbd", "Pareto/NBD: 1 - P(alive)", "ParetoNBD"),
        Ranking("bg_nbd", "BG/NBD: 1 - P(alive)", "BetaGeo"),
    )
}


@dataclass(frozen=True)
class Customers:
    """Per-customer summary at a cut-off day: x (repeat purchase days), t_x, T (days), the
    silence ``T - t_x`` and the ids, sorted by id."""

    ids: npt.NDArray[np.int64]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray

    @property
    def silence(self) -> FloatArray:
        return self.T - self.recency


def summarise(
    customer: npt.ArrayLike, day: npt.ArrayLike, *, end: float
) -> tuple[Customers, FloatArray]:
    """Purchase days up to ``end`` (inclusive) -> :class:`Customers`, plus each listed
    customer's last purchase day up to any later day in the data (for the holdout label).

    Several purchases on one day count as one (the models' daily grid).
    """
    ids = np.asarray(customer, dtype=np.int64)
    days = np.floor(np.asarray(day, dtype=np.float64))
    if ids.shape != days.shape or ids.ndim != 1:
        raise InvalidInputError("customer, day", "must be one-dimensional and of equal length")
    if not np.all(np.isfinite(days)):
        raise InvalidInputError("day", "must be finite")
    if ids.size == 0:  # no purchases: nobody to summarise (indexing below needs one)
        empty = np.empty(0)
        return Customers(np.empty(0, np.int64), empty, empty.copy(), empty.copy()), empty.copy()
    order = np.lexsort((days, ids))
    ids, days = ids[order], days[order]
    distinct = np.r_[True, (ids[1:] != ids[:-1]) | (days[1:] != days[:-1])]
    ids, days = ids[distinct], days[distinct]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], ids.size]
    last_ever = days[ends - 1] if ids.size else np.empty(0)
    inside = days <= end
    counted = np.add.reduceat(inside.astype(np.int64), starts) if ids.size else np.empty(0, int)
    seen = counted > 0
    first = days[starts]
    # The last day <= end: the largest day among the customer's days inside the window.
    last_inside = (
        np.maximum.reduceat(np.where(inside, days, -np.inf), starts) if ids.size else first
    )
    summary = Customers(
        ids=ids[starts][seen],
        frequency=(counted[seen] - 1).astype(np.float64),
        recency=(last_inside[seen] - first[seen]).astype(np.float64),
        T=(end - first[seen]).astype(np.float64),
    )
    return summary, last_ever[seen]


def typical_gap(data: Customers) -> float:
    """Median over repeat buyers of their mean gap between purchase days (NaN: no repeat)."""
    repeat = data.frequency > 0
    if not repeat.any():
        return math.nan
    return float(np.median(data.recency[repeat] / data.frequency[repeat]))


def holdout_days(data: Customers) -> int | None:
    """``h`` for a backtest on the summary at the observation end (see the module's text);
    None when no customer has bought twice (no rhythm to measure)."""
    gap = typical_gap(data)
    if not math.isfinite(gap) or data.T.size == 0:
        return None
    span = float(data.T.max())
    h = min(max(HOLDOUT_GAPS * gap, HOLDOUT_MIN_DAYS), HOLDOUT_MAX_DAYS, span / 2)
    return max(round(h), 1)


def ranking_scores(
    key: str, data: Customers, *, model: CustomerBaseModel | None = None, gap: float = math.nan
) -> FloatArray:
    """The raw score of ranking ``key`` for every customer (higher: more likely lapsed)."""
    if RANKINGS[key].model is not None:
        if model is None:
            raise InvalidInputError("model", f"ranking {key} needs its fitted model")
        alive = model.conditional_probability_alive(data.frequency, data.recency, data.T)
        return np.clip(1.0 - alive, 0.0, 1.0)
    if key == BASELINE:
        return data.silence.copy()
    own = np.divide(data.recency, data.frequency, out=np.full(data.T.shape, np.nan),
                    where=data.frequency > 0)  # fmt: skip
    own = np.where(np.isfinite(own) & (own > 0), own, gap if math.isfinite(gap) else 1.0)
    return data.silence / np.maximum(own, 1.0)


def auc(score: npt.ArrayLike, positive: npt.ArrayLike) -> float:
    """P(a random positive scores above a random negative), ties counting half
    (Mann-Whitney U / (n+ n-)); NaN without both kinds."""
    s = np.asarray(score, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(s)  # average ranks over ties
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def top_share(score: npt.ArrayLike, positive: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Share of positives among the top ``fraction`` by score; customers tied at the cut count
    by their tie group's share (what a random order among them would give)."""
    s = np.asarray(score, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    k = max(math.ceil(fraction * s.size), 1) if s.size else 0
    if k == 0:
        return math.nan
    cut = np.partition(s, s.size - k)[s.size - k]
    above = s > cut
    tied = s == cut
    taken = int(above.sum())
    share_tied = pos[tied].mean() if tied.any() else 0.0
    return float((pos[above].sum() + (k - taken) * share_tied) / k)


def logistic_fit(feature: FloatArray, label: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Intercept and slope of ``P(label) = expit(a + b feature)`` by Newton's method."""
    X = np.column_stack([np.ones_like(feature), feature])
    y = label.astype(np.float64)
    beta = np.zeros(2)
    for _ in range(50):
        p = expit(X @ beta)
        w = np.maximum(p * (1 - p), 1e-12)
        step = np.linalg.solve(X.T @ (X * w[:, None]) + 1e-9 * np.eye(2), X.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[0]), float(beta[1])


@dataclass(frozen=True)
class CandidateResult:
    key: str
    label: str
    auc: float | None = None
    top_decile_lapsed: float | None = None
    error: str = ""


@dataclass
class Backtest:
    """The outcome: ``chosen`` is a key of :data:`RANKINGS` (``BASELINE`` when no backtest
    could be run, ``reason`` then saying why). ``calibration`` maps the chosen ranking's raw
    score to a probability when it is no probability itself: ``expit(a + b log1p(score))``,
    fitted on the backtest's labels (P(no order within h days))."""

    holdout_days: int | None
    calibration_end: float | None
    customers: int
    lapsed: int
    candidates: dict[str, CandidateResult]
    chosen: str
    reason: str = ""
    calibration: tuple[float, float] | None = None
    typical_gap_days: float = math.nan
    fitted: dict[str, CustomerBaseModel] = field(default_factory=dict, repr=False)
    model_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        return not self.reason

    def auc_of(self, key: str) -> float | None:
        found = self.candidates.get(key)
        return None if found is None else found.auc

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN as None), for storing with a fit."""

        def clean(value: Any) -> Any:
            return None if isinstance(value, float) and not math.isfinite(value) else value

        return {
            "holdout_days": self.holdout_days,
            "calibration_end": clean(self.calibration_end),
            "customers": self.customers,
            "lapsed": self.lapsed,
            "chosen": self.chosen,
            "baseline": BASELINE,
            "reason": self.reason,
            "calibration": None
            if self.calibration is None
            else [clean(value) for value in self.calibration],
            "typical_gap_days": clean(self.typical_gap_days),
            "candidates": [
                {
                    "key": c.key,
                    "label": c.label,
                    "auc": clean(c.auc),
                    "top_decile_lapsed": clean(c.top_decile_lapsed),
                    "error": c.error,
                }
                for c in self.candidates.values()
            ],
        }


def _not_run(reason: str, customers: int = 0, h: int | None = None) -> Backtest:
    results = {k: CandidateResult(k, r.label, error=reason) for k, r in RANKINGS.items()}
    return Backtest(h, None, customers, 0, results, BASELINE, reason=reason)


def _fit_candidates(
    data: Customers, fit: Callable[[str, Customers], CustomerBaseModel]
) -> tuple[dict[str, CustomerBaseModel], dict[str, str]]:
    fitted: dict[str, CustomerBaseModel] = {}
    errors: dict[str, str] = {}
    for name in MODELS:
        try:
            fitted[name] = fit(name, data)
        except AnalyticsError as error:
            errors[name] = getattr(error, "reason", str(error))
    return fitted, errors


def _default_fit(name: str, data: Customers) -> CustomerBaseModel:
    return MODELS[name](max_seconds=FIT_SECONDS).fit(data.frequency, data.recency, data.T)


def backtest_rankings(
    customer: npt.ArrayLike,
    day: npt.ArrayLike,
    *,
    observation_end: float,
    holdout: int | None = None,
    fit: Callable[[str, Customers], CustomerBaseModel] = _default_fit,
) -> Backtest:
    """Score every candidate ranking on the purchases (``customer``, ``day``) up to
    ``observation_end`` (inclusive), holding out the last ``holdout`` days (default:
    :func:`holdout_days`). Never raises for data that cannot support a backtest: the result
    then says why (``reason``) and chooses the baseline."""
    full, _ = summarise(customer, day, end=observation_end)
    h = holdout if holdout is not None else holdout_days(full)
    if h is None:
        return _not_run("no customer has bought on two different days: no rhythm to test")
    cut = observation_end - h
    data, last_ever = summarise(customer, day, end=cut)
    lapsed = ~(last_ever > cut)
    if data.ids.size == 0 or lapsed.all() or not lapsed.any():
        what = "nobody" if data.ids.size == 0 else ("nobody" if lapsed.all() else "everybody")
        return _not_run(
            f"{what} ordered in the last {h} days before {observation_end:.0f}: "
            "no lapsed and returning customers to tell apart", int(data.ids.size), h,
        )  # fmt: skip
    gap = typical_gap(data)
    fitted, errors = _fit_candidates(data, fit)
    results: dict[str, CandidateResult] = {}
    scores: dict[str, FloatArray] = {}
    for key, ranking in RANKINGS.items():
        if ranking.model is not None and ranking.model not in fitted:
            why = errors.get(ranking.model, "not fitted")
            results[key] = CandidateResult(key, ranking.label, error=why)
            continue
        model = fitted.get(ranking.model) if ranking.model else None
        score = ranking_scores(key, data, model=model, gap=gap)
        scores[key] = score
        results[key] = CandidateResult(
            key, ranking.label, auc(score, lapsed), top_share(score, lapsed, 0.1)
        )
    best = max(r.auc for r in results.values() if r.auc is not None)
    chosen = next(
        key for key, r in results.items() if r.auc is not None and r.auc >= best - TIE_TOLERANCE
    )
    calibration = None
    if RANKINGS[chosen].model is None:
        calibration = logistic_fit(np.log1p(scores[chosen]), lapsed)
    return Backtest(
        holdout_days=h, calibration_end=cut, customers=int(data.ids.size),
        lapsed=int(lapsed.sum()), candidates=results, chosen=chosen,
        calibration=calibration, typical_gap_days=gap, fitted=fitted, model_errors=errors,
    )  # fmt: skip


def churn_probability(
    backtest: Backtest,
    data: Customers,
    *,
    model: CustomerBaseModel | None = None,
) -> FloatArray:
    """Every customer's churn risk (0-1) from the backtest's chosen ranking, on ``data`` (the
    summary at the observation end). A model's ranking is its 1 - P(alive). Days since the last
    order (or over the usual gap) become the share of customers as silent who did not order
    within h days in the backtest (the fitted logistic curve: same order as the days); without a
    backtest, the silence over three usual gaps, capped at 1."""
    gap = typical_gap(data)
    score = ranking_scores(backtest.chosen, data, model=model, gap=gap)
    if RANKINGS[backtest.chosen].model is not None:
        return score
    if backtest.calibration is not None and backtest.calibration[1] > 0:
        a, b = backtest.calibration
        return np.asarray(expit(a + b * np.log1p(score)), dtype=np.float64)
    usual = gap if math.isfinite(gap) and gap > 0 else 365.0
    relative = score if backtest.chosen != BASELINE else score / usual
    return np.clip(relative / HOLDOUT_GAPS, 0.0, 1.0)
