"""The models fitted on an RFM summary and every customer's predictions, vectorised (no Django).

Kept apart from ``services.py`` so that the arithmetic reads on its own: summary and backtest
in, fitted models and one array per stored column out.

Each model stands or fails alone: BG/NBD, MBG/NBD and Pareto/NBD are fitted one by one (a
failure is recorded with its reason and the others' figures stay), Gamma-Gamma at its boundary
(spend that does not vary between customers) uses its limit and says so. The purchase model
behind P(alive), expected purchases and CLV is the one whose ranking did best in the backtest;
the churn risk comes from the ranking the backtest chose (which may be days since the last
order, when no model beats it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.backtest import (
    MODELS,
    RANKINGS,
    Backtest,
    Customers,
    churn_probability,
)
from tenure.analytics.errors import AnalyticsError
from tenure.analytics.models import GammaGamma
from tenure.analytics.models._customer import CustomerBaseModel

FloatArray = npt.NDArray[np.float64]
DAYS_PER_YEAR = 365.25
# Beyond this the "expected next order" is no date anyone plans with: stored as none.
NEXT_ORDER_MAX_DAYS = 3650.0
# A model's search stops after this long (its failure recorded, the others kept).
FIT_SECONDS = 60.0
# "Value if the customer stays" is over the next year, whatever the fit's CLV horizon.
VALUE_DAYS = 365.0

# Models and parameters in the papers' order (PostgreSQL's jsonb does not keep key order).
MODEL_PARAMS: dict[str, tuple[str, ...]] = {
    "BetaGeo": ("r", "alpha", "a", "b"),
    "ModifiedBetaGeo": ("r", "alpha", "a", "b"),
    "GammaGamma": ("p", "q", "gamma"),
    "ParetoNBD": ("r", "alpha", "s", "beta"),
}
MODEL_LABELS = {
    "BetaGeo": "BG/NBD",
    "ModifiedBetaGeo": "MBG/NBD",
    "ParetoNBD": "Pareto/NBD",
    "GammaGamma": "Gamma-Gamma",
}


class NoPurchaseModel(AnalyticsError):
    """No purchase model could be fitted: nothing to predict purchases with."""


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass
class FittedModels:
    """What a fit stores about its models: parameters with standard errors (or the reason a
    model failed, or the boundary it reached), log-likelihoods, and which model predicts."""

    purchases: CustomerBaseModel
    purchase_model: str
    spend: GammaGamma | None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_likelihood: dict[str, float] = field(default_factory=dict)
    fitted: dict[str, CustomerBaseModel] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [name for name, entry in self.params.items() if "error" not in entry]


def _entry(model: CustomerBaseModel | GammaGamma) -> dict[str, Any]:
    return {"params": dict(model.params_), "standard_errors": dict(model.standard_errors_)}


def _spend_entry(spend: GammaGamma, currency: str) -> dict[str, Any]:
    if not spend.homogeneous_:
        return _entry(spend)
    p, se = _finite(spend.params_["p"]), _finite(spend.standard_errors_["p"])
    return {
        "params": {} if p is None else {"p": p},
        "standard_errors": {} if se is None else {"p": se},
        "boundary": spend.boundary_note(currency),
        "mean_spend": spend.mean_spend_,
    }


def _purchase_choice(backtest: Backtest, fitted: dict[str, CustomerBaseModel]) -> str:
    """The fitted model whose ranking had the best backtest AUC (MBG/NBD, Pareto/NBD, BG/NBD
    in that order on a tie or without a backtest)."""
    ranked = [
        (backtest.auc_of(key) if backtest.auc_of(key) is not None else -1.0, -i, ranking.model)
        for i, (key, ranking) in enumerate(RANKINGS.items())
        if ranking.model in fitted
    ]
    return max(ranked)[2] if ranked else ""


def models_fit(summary: pd.DataFrame, backtest: Backtest, *, currency: str = "$") -> FittedModels:
    """BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma, each alone; the backtest's calibration
    fits are the starting points (fewer evaluations). Raises :class:`NoPurchaseModel` only when
    no purchase model could be fitted at all (the reasons of each in the message)."""
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    money = summary["monetary_value"].to_numpy()
    params: dict[str, dict[str, Any]] = {}
    log_likelihood: dict[str, float] = {}
    fitted: dict[str, CustomerBaseModel] = {}
    for name, estimator in MODELS.items():
        earlier = backtest.model_errors.get(name, "")
        if earlier.startswith("no maximum found within"):
            # Its search ran out of time on the history to T - h already (Pareto/NBD when
            # dropout rates do not vary): another, longer run on all of it would too.
            params[name] = {"error": f"on the history to {backtest.holdout_days} days before "
                                     f"the end: {earlier}"}  # fmt: skip
            continue
        start = backtest.fitted.get(name)
        model = estimator(
            initial_params=None if start is None else dict(start.params_),
            max_seconds=FIT_SECONDS,
        )
        try:
            model.fit(x, t_x, age)
        except AnalyticsError as error:
            params[name] = {"error": getattr(error, "reason", str(error))}
            continue
        fitted[name] = model
        params[name] = _entry(model)
        log_likelihood[name] = model.log_likelihood_
    chosen = _purchase_choice(backtest, fitted)
    if not chosen:
        reasons = "; ".join(f"{MODEL_LABELS[n]}: {params[n]['error']}" for n in MODELS)
        raise NoPurchaseModel(f"no purchase model could be fitted ({reasons})")
    paying = (x > 0) & (money > 0)
    spend: GammaGamma | None = None
    try:
        spend = GammaGamma().fit(x[paying], money[paying])
    except AnalyticsError as error:
        params["GammaGamma"] = {"error": getattr(error, "reason", str(error))}
    else:
        params["GammaGamma"] = _spend_entry(spend, currency)
        if math.isfinite(spend.log_likelihood_):
            log_likelihood["GammaGamma"] = spend.log_likelihood_
    ordered = {name: params[name] for name in MODEL_PARAMS if name in params}
    return FittedModels(fitted[chosen], chosen, spend, ordered, log_likelihood, fitted)


@dataclass(frozen=True)
class Predictions:
    """One array per stored column, aligned with the summary's rows."""

    p_alive: FloatArray
    churn_risk: FloatArray
    expected_purchases: FloatArray
    expected_average_spend: FloatArray
    predicted_clv: FloatArray
    value_if_stays: FloatArray
    next_order_days: FloatArray  # NaN: no date (see next_order_days)
    ranking_used: str = ""  # the backtest's choice, unless its model failed on all the history


def next_order_days(
    purchases: CustomerBaseModel, x: FloatArray, age: FloatArray, p_alive: FloatArray
) -> FloatArray:
    """Days after the observation end by which P(ordered again) reaches one half.

    Given alive at T, the purchase rate is ``Gamma(r + x, alpha + T)`` in all three models and,
    under BG/NBD and MBG/NBD, a customer alive at T buys again (they drop out only right after
    a purchase), after a Lomax wait: ``P(W <= w | alive) = 1 - ((alpha+T) / (alpha+T+w))^(r+x)``.
    So ``P(W <= w) = P(alive) * that``, which reaches 1/2 at
    ``w = (alpha + T) ((1 - 1/(2 P(alive)))^(-1/(r+x)) - 1)``. (Under Pareto/NBD an alive
    customer may still leave before buying, so there this date is an early bound.) None (NaN)
    when P(alive) <= 1/2 (more likely gone than not) or beyond ten years.
    """
    r, alpha = purchases.params_["r"], purchases.params_["alpha"]
    days = np.full(x.shape, np.nan)
    likely = p_alive > 0.5
    conditional = 1.0 - 0.5 / p_alive[likely]  # P(W <= w | alive) needed, in (0, 1)
    days[likely] = (alpha + age[likely]) * np.expm1(-np.log1p(-conditional) / (r + x[likely]))
    days[days > NEXT_ORDER_MAX_DAYS] = np.nan
    return days


def _discounted_purchases(
    model: CustomerBaseModel,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
    *,
    horizon_days: float,
    discount_rate_annual: float,
) -> FloatArray:
    """Expected purchases over the horizon, each month's discounted from its end (as
    ``GammaGamma.customer_lifetime_value`` does, for when the spend model is not fitted)."""
    step = DAYS_PER_YEAR / 12
    ends = np.append(np.arange(step, horizon_days, step), horizon_days)
    total = np.zeros(x.shape)
    before = np.zeros(x.shape)
    for end in ends:
        cumulative = model.conditional_expected_number_of_purchases_up_to_time(end, x, t_x, age)
        total += np.maximum(cumulative - before, 0.0) / (1.0 + discount_rate_annual) ** (
            end / DAYS_PER_YEAR
        )
        before = cumulative
    return total


def _spend(models: FittedModels, x: FloatArray, money: FloatArray) -> FloatArray:
    """Expected order value: Gamma-Gamma's (or its limit); without it, the customer's own mean
    repeat-purchase value, or the mean of those for a customer without a repeat purchase."""
    if models.spend is not None:
        return models.spend.conditional_expected_average_profit(x, money)
    paying = (x > 0) & (money > 0)
    average = float(np.average(money[paying], weights=x[paying])) if paying.any() else math.nan
    return np.where(paying, money, average)


def predictions_compute(
    models: FittedModels,
    summary: pd.DataFrame,
    backtest: Backtest,
    *,
    horizon_days: int,
    discount_rate_annual: float,
    margin: float,
) -> Predictions:
    """Every customer's predictions from the fitted models (days throughout)."""
    x, t_x, age = (summary[c].to_numpy(dtype=np.float64) for c in ("frequency", "recency", "T"))
    money = summary["monetary_value"].to_numpy(dtype=np.float64)
    model = models.purchases
    p_alive = np.clip(model.conditional_probability_alive(x, t_x, age), 0.0, 1.0)
    expected = model.conditional_expected_number_of_purchases_up_to_time(horizon_days, x, t_x, age)
    spend = _spend(models, x, money)
    discounted = _discounted_purchases(
        model, x, t_x, age, horizon_days=float(horizon_days),
        discount_rate_annual=discount_rate_annual,
    )  # fmt: skip
    if_alive = model.expected_purchases_if_alive(VALUE_DAYS, x, t_x, age)
    data = Customers(summary.index.to_numpy(dtype=np.int64), x, t_x, age)
    ranking = RANKINGS[backtest.chosen]
    ranked_by = models.fitted.get(ranking.model) if ranking.model else None
    if ranking.model is not None and ranked_by is None:
        # Chosen on the history to T - h, but that model failed on the whole history.
        backtest = Backtest(
            backtest.holdout_days, backtest.calibration_end, backtest.customers,
            backtest.lapsed, backtest.candidates, "days_since_last_order",
            reason=f"{MODEL_LABELS[ranking.model]} could not be fitted on the whole history",
        )  # fmt: skip
    risk = np.clip(churn_probability(backtest, data, model=ranked_by), 0.0, 1.0)
    return Predictions(
        p_alive=p_alive,
        churn_risk=risk,
        expected_purchases=expected,
        expected_average_spend=spend,
        predicted_clv=margin * spend * discounted,
        value_if_stays=spend * if_alive,
        next_order_days=next_order_days(model, x, age, p_alive),
        ranking_used=backtest.chosen,
    )
