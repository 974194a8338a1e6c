"""The health components' weights fitted to the business's own history, the defaults as prior.

The model: the chance that a customer lapses (no order within the backtest's holdout) is
``expit(a + sum_k beta_k x_k)`` where ``x_k = (100 - component_k) / 100`` is the share of
component k's points the customer lost (a component without data for them counts as the mean
of those with data, as the score's renormalisation roughly does). With the default weights
``w`` (normalised to sum to 1) the health score is ``100 (1 - sum_k w_k x_k)``, so
``beta = b w`` is the default health score put through a logistic curve of slope ``b``.

The fit is the maximum a posteriori ``beta`` under a Gaussian prior centred there: ``beta_k ~
N(b w_k, (prior_sd b)^2)``, ``b`` fitted first on the default score alone, ``beta_k >= 0`` (a
component never counts for lapse when its points are high). With little history the prior
wins and the defaults come back; with a lot, the business's own history speaks. The fitted
weights are ``beta`` rescaled to the sum of the defaults (100 by default). numpy and scipy only.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from tenure.analytics.backtest import logistic_fit
from tenure.analytics.errors import InvalidInputError
from tenure.domain.health import HealthConfig, health_config_validate

FloatArray = npt.NDArray[np.float64]
PRIOR_SD = 0.25
"""How far a weight may move, as a share of the whole scale, at one standard deviation."""


@dataclass(frozen=True)
class WeightsFit:
    """The fitted weights (same keys as the prior, summing to the prior's total), the slope
    ``scale`` of the default score, the intercept, how many customers and lapses it saw."""

    weights: dict[str, float]
    prior: dict[str, float]
    scale: float
    intercept: float
    customers: int
    lapsed: int
    converged: bool


def _lost_shares(components: pd.DataFrame) -> FloatArray:
    x = (100.0 - components.to_numpy(dtype=np.float64)) / 100.0
    means = np.array(
        [np.nanmean(column) if np.isfinite(column).any() else 0.0 for column in x.T]
    ).reshape(1, -1)
    return np.where(np.isnan(x), means, x) if x.size else x


def weights_fit(
    components: pd.DataFrame,
    lapsed: npt.ArrayLike,
    prior: Mapping[str, float],
    *,
    prior_sd: float = PRIOR_SD,
) -> WeightsFit:
    """Fit the weights of ``components`` (one column per component, 0-100, NaN: no data) to
    ``lapsed`` (True: no order in the holdout), the weights ``prior`` (the defaults) as prior.

    Raises
    ------
    InvalidInputError
        Sizes that differ, a component without a prior weight, a prior weighing nothing, no
        lapsed or no returning customer, a ``prior_sd`` not above 0.
    """
    y = np.asarray(lapsed, dtype=bool)
    keys = list(components.columns)
    if y.shape != (len(components),):
        raise InvalidInputError("lapsed", f"has {y.size} values for {len(components)} customers")
    if missing := [key for key in keys if key not in prior]:
        raise InvalidInputError("prior", f"has no weight for {', '.join(missing)}")
    if not math.isfinite(prior_sd) or prior_sd <= 0:
        raise InvalidInputError("prior_sd", f"must be above 0, got {prior_sd!r}")
    w0 = np.array([float(prior[key]) for key in keys])
    total = float(w0.sum())
    if total <= 0:
        raise InvalidInputError("prior", "the weights add up to 0")
    if y.all() or not y.any():
        raise InvalidInputError("lapsed", "needs both lapsed and returning customers")
    w0n = w0 / total
    x = _lost_shares(components)
    a0, b = logistic_fit(x @ w0n, y)
    b = max(b, 1e-3)  # a default score that does not rank at all still anchors the prior's shape
    mean, sd = b * w0n, prior_sd * b
    target = y.astype(np.float64)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        eta = theta[0] + x @ theta[1:]
        # log(1 + e^eta) without overflow
        nll = float(np.sum(np.maximum(eta, 0) + np.log1p(np.exp(-np.abs(eta))) - target * eta))
        residual = expit(eta) - target
        gap = theta[1:] - mean
        value = nll + float(gap @ gap) / (2 * sd * sd)
        grad = np.concatenate([[residual.sum()], x.T @ residual + gap / (sd * sd)])
        return value, grad

    start = np.concatenate([[a0], mean])
    bounds = [(None, None)] + [(0.0, None)] * len(keys)
    found = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"maxiter": 500, "gtol": 1e-8})  # fmt: skip
    beta = np.maximum(found.x[1:], 0.0)
    fitted = beta / beta.sum() * total if beta.sum() > 0 else w0
    return WeightsFit(
        weights={key: round(float(w), 2) for key, w in zip(keys, fitted, strict=True)},
        prior={key: float(w) for key, w in zip(keys, w0, strict=True)},
        scale=float(b), intercept=float(found.x[0]), customers=int(y.size),
        lapsed=int(y.sum()), converged=bool(found.success),
    )  # fmt: skip


def config_with_weights(config: HealthConfig, weights: Mapping[str, float]) -> HealthConfig:
    """``config`` with the components of ``weights`` weighed so (the others as they were)."""
    definition = copy.deepcopy(config.definition)
    for key, weight in weights.items():
        definition["components"][key]["weight"] = float(weight)
    return health_config_validate(definition)
