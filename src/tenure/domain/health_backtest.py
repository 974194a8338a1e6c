"""Health scored by the churn ranking's backtest: how well does it rank who lapsed?

The same time split as ``tenure.analytics.backtest``: with the holdout ``h`` (from the
business's rhythm, or the stored fit's), health is scored as of ``T - h`` from the history up
to ``T - h`` only (the facts at that moment: orders, cases, answers), and a low score should
mean a lapse: no order in ``(T - h, T]``. Beside it, in the same run and on the same customers
and labels: days since the last order (the naive baseline) and the churn ranking the backtest
chose. Each gets its AUC (a lapsed customer ranked below, i.e. less healthy than, a returning
one; ties half) and the share of lapsed among its worst 10 %.

The fitted weights are fitted out of time, so that their AUC is not measured on the data they
were fitted to: on the split one holdout earlier (facts at ``T - 2h``, lapse in
``(T - 2h, T - h]``, the orders after ``T - h`` unseen), then scored at ``T - h`` like the
defaults. Those are the weights an admin may adopt.

The ceilings of the churn risk and the at-risk stage are left out here: the stored churn risk
and stage are today's, not what was known at ``T - h``. The others (answers, complaints,
silence) are facts of that moment and apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.backtest import (
    BASELINE,
    RANKINGS,
    Customers,
    auc,
    backtest_rankings,
    holdout_days,
    summarise,
    top_share,
)
from tenure.analytics.errors import InvalidInputError
from tenure.domain.health import HealthConfig, health_scores
from tenure.domain.health_weights import WeightsFit, config_with_weights, weights_fit

FactsAt = Callable[[int, npt.NDArray[np.int64]], pd.DataFrame]
"""``facts_at(day, ids)``: the facts of customers ``ids`` as of the end of ``day``."""

MIN_FIT_CUSTOMERS = 50
ROWS = ("health_default", "health_fitted", BASELINE, "chosen")


@dataclass(frozen=True)
class RankingFigures:
    key: str
    label: str
    auc: float | None = None
    top_decile_lapsed: float | None = None
    note: str = ""


@dataclass(frozen=True)
class HealthBacktest:
    """The outcome. ``rows`` in the order of :data:`ROWS` (a row without a figure says why in
    its ``note``); ``reason`` says why no backtest could be run at all."""

    holdout_days: int | None
    calibration_end: float | None
    customers: int
    lapsed: int
    rows: dict[str, RankingFigures]
    default_weights: dict[str, float]
    fitted: WeightsFit | None = None
    fit_note: str = ""
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        return not self.reason

    def auc_of(self, key: str) -> float | None:
        row = self.rows.get(key)
        return None if row is None else row.auc

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for storing."""
        fitted = self.fitted
        return {
            "holdout_days": self.holdout_days,
            "calibration_end": self.calibration_end,
            "customers": self.customers,
            "lapsed": self.lapsed,
            "reason": self.reason,
            "rows": [
                {"key": r.key, "label": r.label, "auc": r.auc,
                 "top_decile_lapsed": r.top_decile_lapsed, "note": r.note}
                for r in self.rows.values()
            ],
            "default_weights": self.default_weights,
            "fitted_weights": None if fitted is None else fitted.weights,
            "fit_customers": None if fitted is None else fitted.customers,
            "fit_lapsed": None if fitted is None else fitted.lapsed,
            "fit_note": self.fit_note,
        }  # fmt: skip


def _clean(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _figures(key: str, label: str, risk: npt.NDArray[np.float64], lapsed: Any) -> RankingFigures:
    return RankingFigures(key, label, _clean(auc(risk, lapsed)),
                          _clean(top_share(risk, lapsed, 0.1)))  # fmt: skip


def _health_risk(facts: pd.DataFrame, config: HealthConfig) -> npt.NDArray[np.float64]:
    """Lower health, more risk; a customer without a score sits in the middle (50)."""
    score = health_scores(facts, config).score
    return -np.where(np.isnan(score), 50.0, score)


def _labelled(customer: Any, day: Any, end: float) -> tuple[Customers, npt.NDArray[np.bool_]]:
    data, last_ever = summarise(customer, day, end=end)
    return data, ~(last_ever > end)


def _facts(facts_at: FactsAt, day: float, ids: npt.NDArray[np.int64]) -> pd.DataFrame:
    facts = facts_at(int(day), ids)
    missing = np.setdiff1d(ids, facts.index.to_numpy(dtype=np.int64))
    if missing.size:
        raise InvalidInputError("facts_at", f"gave no facts for {missing.size} customers")
    return facts.loc[ids]


def health_backtest(
    customer: npt.ArrayLike,
    day: npt.ArrayLike,
    *,
    observation_end: float,
    facts_at: FactsAt,
    config: HealthConfig,
    holdout: int | None = None,
    chosen: RankingFigures | None = None,
) -> HealthBacktest:
    """Backtest health (default and fitted weights) beside days since the last order and the
    chosen churn ranking, on the purchases (``customer``, ``day``) up to ``observation_end``.

    ``chosen``: the chosen ranking's figures on this same split (the stored fit's backtest);
    None runs ``tenure.analytics.backtest`` here for them. Never raises for data that cannot
    support a backtest: ``reason`` then says why.
    """
    customer = np.asarray(customer, dtype=np.int64)
    day = np.floor(np.asarray(day, dtype=np.float64))
    defaults = {key: config.params[key]["weight"] for key in config.active}
    full, _ = summarise(customer, day, end=observation_end)
    h = holdout if holdout is not None else holdout_days(full)
    if h is None:
        return _not_run("no customer has bought on two different days: no rhythm to test",
                        defaults)  # fmt: skip
    cut = observation_end - h
    data, lapsed = _labelled(customer, day, cut)
    if data.ids.size == 0 or lapsed.all() or not lapsed.any():
        return _not_run(
            f"no lapsed and returning customers to tell apart {h} days before the end",
            defaults, h, int(data.ids.size),
        )  # fmt: skip
    facts = _facts(facts_at, cut, data.ids)
    rows = {
        "health_default": _figures("health_default", "health, default weights",
                                   _health_risk(facts, config), lapsed),
        BASELINE: _figures(BASELINE, RANKINGS[BASELINE].label, data.silence, lapsed),
    }  # fmt: skip
    fitted, note = _fit_earlier(customer, day, cut, h, facts_at, config)
    if fitted is None:
        rows["health_fitted"] = RankingFigures("health_fitted", "health, fitted weights",
                                               note=note)  # fmt: skip
    else:
        mine = config_with_weights(config, fitted.weights)
        rows["health_fitted"] = _figures("health_fitted", "health, fitted weights",
                                         _health_risk(facts, mine), lapsed)  # fmt: skip
    rows["chosen"] = chosen or _chosen(customer, day, observation_end, h)
    return HealthBacktest(
        holdout_days=int(h), calibration_end=float(cut), customers=int(data.ids.size),
        lapsed=int(lapsed.sum()), rows={key: rows[key] for key in ROWS},
        default_weights=defaults, fitted=fitted, fit_note=note,
    )  # fmt: skip


def _fit_earlier(
    customer: npt.NDArray[np.int64],
    day: npt.NDArray[np.float64],
    cut: float,
    h: int,
    facts_at: FactsAt,
    config: HealthConfig,
) -> tuple[WeightsFit | None, str]:
    """Weights fitted on the split one holdout earlier (nothing after ``cut`` seen)."""
    seen = day <= cut
    earlier = cut - h
    data, lapsed = _labelled(customer[seen], day[seen], earlier)
    if data.ids.size < MIN_FIT_CUSTOMERS or lapsed.all() or not lapsed.any():
        return None, (
            f"too little history to fit weights out of time: {data.ids.size} customers "
            f"{2 * h} days before the end, {int(lapsed.sum())} of them lapsed"
        )
    components = health_scores(_facts(facts_at, earlier, data.ids), config).components
    prior = {key: config.params[key]["weight"] for key in components.columns}
    fitted = weights_fit(components, lapsed, prior)
    return fitted, ""


def _chosen(
    customer: npt.NDArray[np.int64], day: npt.NDArray[np.float64], end: float, h: int
) -> RankingFigures:
    backtest = backtest_rankings(customer, day, observation_end=end, holdout=h)
    if not backtest.ran:
        return RankingFigures("chosen", RANKINGS[backtest.chosen].label, note=backtest.reason)
    found = backtest.candidates[backtest.chosen]
    return RankingFigures(
        "chosen", f"chosen ranking: {found.label}", _clean(found.auc or math.nan),
        _clean(found.top_decile_lapsed or math.nan),
    )  # fmt: skip


def _not_run(
    reason: str, defaults: dict[str, float], h: int | None = None, customers: int = 0
) -> HealthBacktest:
    rows = {key: RankingFigures(key, key.replace("_", " "), note=reason) for key in ROWS}
    return HealthBacktest(h, None, customers, 0, rows, defaults, reason=reason)
