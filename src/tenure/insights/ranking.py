"""The backtest stored with a fit, read back in words and figures: how the churn ranking the
at-risk list uses was chosen (``tenure.analytics.backtest``). Read by the at-risk page, the API
and ``tenure clv fit``. Its AUCs and shares name no customer; its head counts are the whole
base's, so they are shown only to roles that see every customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tenure.analytics.backtest import RANKINGS
from tenure.insights.models import ModelFit
from tenure.insights.reading import visible_customer_ids
from tenure.insights.selectors import latest_fit


@dataclass(frozen=True)
class RankingScore:
    key: str
    label: str
    auc: float | None
    top_decile_lapsed: float | None
    error: str
    chosen: bool


@dataclass(frozen=True)
class RankingBacktest:
    """How the churn ranking was chosen, for the at-risk page, the API and ``tenure clv fit``:
    ``summary`` in words, then the figures (None when the fit ran no backtest)."""

    fit_id: int
    observation_end: date | None
    summary: str
    chosen: str
    chosen_label: str
    chosen_auc: float | None
    baseline_auc: float | None
    top_decile_lapsed: float | None
    holdout_days: int | None
    customers: int | None
    lapsed: int | None
    purchase_model: str
    candidates: list[RankingScore]


def _ranking_words(backtest: dict[str, Any], label: str, counts: bool) -> str:
    if backtest.get("reason"):
        return (
            f"No backtest ({backtest['reason']}): customers are ranked by {label}, "
            "which needs no model."
        )
    chosen = next(c for c in backtest["candidates"] if c["key"] == backtest["chosen"])
    base = next(c for c in backtest["candidates"] if c["key"] == backtest["baseline"])
    h = backtest["holdout_days"]
    text = (
        f"Ranked by {label}: fitted on the history up to {h} days before the end, it put a "
        f"customer who then did not order above one who did {chosen['auc']:.0%} of the time "
        f"(AUC {chosen['auc']:.3f}), against {base['auc']:.3f} for days since the last order; "
        f"{chosen['top_decile_lapsed']:.0%} of its top 10 % did not order in those {h} days"
    )
    if counts:
        text += f" ({backtest['lapsed']:,} of {backtest['customers']:,} customers did not)"
    text += "."
    if backtest.get("note"):
        text += f" {backtest['note']}."
    elif backtest["chosen"] == backtest["baseline"]:
        text += " No model ranked better than the days since the last order here."
    return text


def ranking_backtest(fit: ModelFit | None = None, *, user: Any = None) -> RankingBacktest | None:
    """The backtest stored with ``fit`` (default: the latest successful fit); None when there
    is no fit or it predates backtests. ``user=None`` is the operator; a user who does not see
    every customer gets no head counts (None)."""
    fit = fit or latest_fit()
    counts = visible_customer_ids(user) is None
    if fit is None or not fit.backtest:
        return None
    backtest = fit.backtest
    chosen = backtest["chosen"]
    by_key = {c["key"]: c for c in backtest["candidates"]}
    label = RANKINGS[chosen].label if chosen in RANKINGS else chosen
    return RankingBacktest(
        fit_id=fit.pk,
        observation_end=fit.observation_end,
        summary=_ranking_words(backtest, label, counts),
        chosen=chosen,
        chosen_label=label,
        chosen_auc=by_key.get(chosen, {}).get("auc"),
        baseline_auc=by_key.get(backtest["baseline"], {}).get("auc"),
        top_decile_lapsed=by_key.get(chosen, {}).get("top_decile_lapsed"),
        holdout_days=backtest.get("holdout_days"),
        customers=int(backtest.get("customers") or 0) if counts else None,
        lapsed=int(backtest.get("lapsed") or 0) if counts else None,
        purchase_model=fit.purchase_model,
        candidates=[
            RankingScore(
                c["key"],
                c["label"],
                c["auc"],
                c["top_decile_lapsed"],
                c["error"],
                c["key"] == chosen,
            )
            for c in backtest["candidates"]
        ],
    )
