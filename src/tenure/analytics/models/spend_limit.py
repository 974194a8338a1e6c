"""The Gamma-Gamma spend model at its boundary: spend that does not vary between customers.

In Gamma-Gamma (Fader, Hardie & Lee 2005b; FH13 eq. 3) each transaction's value is
``Gamma(p, nu)`` and ``nu ~ Gamma(q, gamma)`` across customers. When every customer has the same
``nu``, the likelihood keeps rising as ``q, gamma -> infinity`` with ``gamma / q -> nu``: the
mixing distribution collapses onto one point. The limit is a model of its own with two
parameters: a customer's mean of ``x`` transactions is ``Gamma(p x, nu x)``, so

    log L = sum_i [ p x_i log(nu x_i) + (p x_i - 1) log m_i - nu x_i m_i - lgamma(p x_i) ]

(the same density of the mean spend ``m_i`` as FH13 eq. 3, so the two log-likelihoods compare).
For a given p the maximum over nu is ``nu = p sum(x) / sum(x m)``, so the expected value of a
transaction ``p / nu`` is ``sum(x m) / sum(x)``, the average repeat-purchase value, whatever p.

Which one to use: the likelihood-ratio statistic ``2 (log L_GG - log L_limit)`` of a parameter on
the boundary of its space follows the 50:50 mixture of chi-square(0) and chi-square(1) under the
limit (Self & Liang 1987, case 5), whose 5 % critical value is 2.706. Below it the data show no
heterogeneity of spend and the limit is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

FloatArray = npt.NDArray[np.float64]

# 5 % critical value of 0.5 chi2(0) + 0.5 chi2(1): the 90 % quantile of chi2(1).
BOUNDARY_CRITICAL_VALUE = 2.705543454095404


@dataclass(frozen=True)
class HomogeneousSpend:
    """The limit's maximum-likelihood fit: shape ``p`` (NaN when every mean is the same, so
    the spread of a transaction cannot be told), the common rate ``nu`` and their mean."""

    p: float
    p_standard_error: float
    nu: float
    mean_spend: float
    log_likelihood: float


def _log_likelihood(p: float, xs: FloatArray, counts: FloatArray, sums: tuple[float, ...]) -> float:
    """The limit's log-likelihood at (p, nu(p)); ``xs``, ``counts``: the distinct x and how
    many customers have each (lgamma(p x) once per distinct x)."""
    sum_x, sum_xm, sum_x_log_x, sum_x_log_m, sum_log_m = sums
    nu = p * sum_x / sum_xm
    return float(
        p * (sum_x * math.log(nu) + sum_x_log_x + sum_x_log_m)
        - sum_log_m
        - nu * sum_xm
        - counts @ gammaln(p * xs)
    )


def homogeneous_spend_fit(
    x: FloatArray, m: FloatArray, w: FloatArray | None = None
) -> HomogeneousSpend:
    """Fit the limit on repeat purchases ``x`` (>= 1) and mean repeat-purchase values ``m``
    (> 0), each row standing for ``w`` customers (1 each if not given); the caller sorts them
    so that the sums run in one order."""
    if w is None:
        w = np.ones(x.size)
    sums = (
        float((w * x).sum()),
        float((w * x * m).sum()),
        float((w * x * np.log(x)).sum()),
        float((w * x * np.log(m)).sum()),
        float((w * np.log(m)).sum()),
    )
    mean_spend = sums[1] / sums[0]
    if np.ptp(m) == 0:
        # Every mean spend is the same: the transactions' spread is not identified (p -> inf).
        return HomogeneousSpend(math.nan, math.nan, math.nan, mean_spend, math.nan)

    xs, where = np.unique(x, return_inverse=True)
    counts = np.bincount(where, weights=w).astype(np.float64)

    def negative(log_p: float) -> float:
        return -_log_likelihood(math.exp(log_p), xs, counts, sums)

    best = minimize_scalar(negative, bounds=(-20.0, 20.0), method="bounded",
                           options={"xatol": 1e-10})  # fmt: skip
    log_p = float(best.x)
    p = math.exp(log_p)
    # Standard error of p from the curvature of the profile log-likelihood (delta method).
    h = 1e-4
    curvature = (negative(log_p + h) - 2 * negative(log_p) + negative(log_p - h)) / h**2
    se = p / math.sqrt(curvature) if curvature > 0 else math.nan
    return HomogeneousSpend(
        p=p,
        p_standard_error=se,
        nu=p * sums[0] / sums[1],
        mean_spend=mean_spend,
        log_likelihood=-float(best.fun),
    )
