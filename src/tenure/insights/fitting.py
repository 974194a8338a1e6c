"""The models fitted on an RFM summary and every customer's predictions, vectorised (no Django).

Kept apart from ``services.py`` so that the arithmetic reads on its own: summary in, fitted
models and one array per stored column out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.errors import FitError
from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD

FloatArray = npt.NDArray[np.float64]
DAYS_PER_YEAR = 365.25
# Beyond this the "expected next order" is no date anyone plans with: stored as none.
NEXT_ORDER_MAX_DAYS = 3650.0


# Models and parameters in the papers' order (PostgreSQL's jsonb does not keep key order).
MODEL_PARAMS: dict[str, tuple[str, ...]] = {
    "BetaGeo": ("r", "alpha", "a", "b"),
    "GammaGamma": ("p", "q", "gamma"),
    "ParetoNBD": ("r", "alpha", "s", "beta"),
}


@dataclass(frozen=True)
class FittedModels:
    """What a fit stores about its models: parameters with standard errors, log-likelihoods."""

    purchases: BetaGeo
    spend: GammaGamma
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_likelihood: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [name for name, entry in self.params.items() if "error" not in entry]


def _entry(model: BetaGeo | GammaGamma | ParetoNBD) -> dict[str, Any]:
    return {"params": dict(model.params_), "standard_errors": dict(model.standard_errors_)}


def models_fit(summary: pd.DataFrame) -> FittedModels:
    """BG/NBD and Gamma-Gamma (both needed: a FitError from either ends the fit) and
    Pareto/NBD, kept for comparison only: its failure is recorded, not raised.

    Gamma-Gamma sees the customers with repeat purchases of positive mean value (a repeat
    buyer of free orders only carries no spend to model).
    """
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    money = summary["monetary_value"].to_numpy()
    purchases = BetaGeo().fit(x, t_x, age)
    paying = (x > 0) & (money > 0)
    spend = GammaGamma().fit(x[paying], money[paying])
    params = {"BetaGeo": _entry(purchases), "GammaGamma": _entry(spend)}
    log_likelihood = {
        "BetaGeo": purchases.log_likelihood_,
        "GammaGamma": spend.log_likelihood_,
    }
    try:
        pareto = ParetoNBD().fit(x, t_x, age)
    except FitError as error:
        params["ParetoNBD"] = {"error": error.reason}
    else:
        params["ParetoNBD"] = _entry(pareto)
        log_likelihood["ParetoNBD"] = pareto.log_likelihood_
    return FittedModels(purchases, spend, params, log_likelihood)


@dataclass(frozen=True)
class Predictions:
    """One array per stored column, aligned with the summary's rows."""

    p_alive: FloatArray
    expected_purchases: FloatArray
    expected_average_spend: FloatArray
    predicted_clv: FloatArray
    next_order_days: FloatArray  # NaN: no date (see next_order_days)


def next_order_days(
    purchases: BetaGeo, x: FloatArray, age: FloatArray, p_alive: FloatArray
) -> FloatArray:
    """Days after the observation end by which P(ordered again) reaches one half.

    Under BG/NBD a customer alive at T buys again (dropout happens only right after a
    purchase), after a Lomax wait: ``P(W <= w | alive) = 1 - ((alpha+T) / (alpha+T+w))^(r+x)``.
    So ``P(W <= w) = P(alive) * that``, which reaches 1/2 at
    ``w = (alpha + T) ((1 - 1/(2 P(alive)))^(-1/(r+x)) - 1)``: the median of the time to the
    next order, built on the model's posterior purchase rate. None (NaN) when P(alive) <= 1/2
    (more likely gone than not) or beyond ten years.
    """
    r, alpha = purchases.params_["r"], purchases.params_["alpha"]
    days = np.full(x.shape, np.nan)
    likely = p_alive > 0.5
    conditional = 1.0 - 0.5 / p_alive[likely]  # P(W <= w | alive) needed, in (0, 1)
    days[likely] = (alpha + age[likely]) * np.expm1(-np.log1p(-conditional) / (r + x[likely]))
    days[days > NEXT_ORDER_MAX_DAYS] = np.nan
    return days


def predictions_compute(
    models: FittedModels,
    summary: pd.DataFrame,
    *,
    horizon_days: int,
    discount_rate_annual: float,
    margin: float,
) -> Predictions:
    """Every customer's predictions from the fitted models (days throughout)."""
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    money = summary["monetary_value"].to_numpy()
    bg, gg = models.purchases, models.spend
    p_alive = np.clip(bg.conditional_probability_alive(x, t_x, age), 0.0, 1.0)
    expected = bg.conditional_expected_number_of_purchases_up_to_time(horizon_days, x, t_x, age)
    spend = gg.conditional_expected_average_profit(x, money)
    clv = gg.customer_lifetime_value(
        bg,
        x,
        t_x,
        age,
        money,
        horizon=float(horizon_days),
        periods_per_year=DAYS_PER_YEAR,
        discount_rate_annual=discount_rate_annual,
        margin=margin,
    )
    return Predictions(
        p_alive=p_alive,
        expected_purchases=expected,
        expected_average_spend=spend,
        predicted_clv=clv,
        next_order_days=next_order_days(bg, x, age, p_alive),
    )
