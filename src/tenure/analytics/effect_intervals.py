"""Confidence intervals for the effect sizes the churn audit reports.

- :func:`cramers_v_interval`: Cramér's V from a chi-square statistic, by inverting the
  noncentral chi-square distribution for its noncentrality (Smithson 2003, *Confidence
  Intervals*, Sage, ch. 4; the method of MBESS's ``conf.limits.nc.chisq``);
- :func:`rank_biserial_interval`: r = 2 A - 1 where A = U / (n1 n2) is the area under the ROC
  curve; A's standard error by Hanley & McNeil (1982), "The meaning and use of the area under a
  receiver operating characteristic (ROC) curve", *Radiology* 143:29-36, eq. (1)-(2);
- :func:`risk_ratio_interval`: a lift (ratio of two churn rates) by the log method of Katz,
  Baptista, Azen & Pike (1978), *Biometrics* 34:469-474.
"""

from __future__ import annotations

import math

from scipy import optimize, stats


def cramers_v_interval(
    chi2: float, n: int, df: int, k: int, confidence: float = 0.95
) -> tuple[float, float]:
    """The interval of Cramér's V for a table of ``n`` observations, ``df`` degrees of freedom
    and ``k`` = min(rows, columns).

    The noncentrality lambda of the chi-square statistic is n (k - 1) V^2 in the population;
    the bounds are the lambdas under which the observed ``chi2`` sits at the upper and lower
    (1 - confidence) / 2 tails, turned back into V. A lower bound of 0 means that no
    association is within the interval.
    """
    tail = (1 - confidence) / 2
    scale = n * (k - 1)

    def cdf_minus(target: float):
        return lambda lam: float(stats.ncx2.cdf(chi2, df, lam)) - target

    def bound(target: float) -> float:
        # cdf(chi2; lambda) falls from its central value towards 0 as lambda grows.
        if float(stats.chi2.cdf(chi2, df)) <= target:
            return 0.0
        high = max(10.0, 2 * chi2)
        while cdf_minus(target)(high) > 0:
            high *= 2
        return float(optimize.brentq(cdf_minus(target), 0.0, high, xtol=1e-10))

    low, high = bound(1 - tail), bound(tail)
    return math.sqrt(low / scale), min(1.0, math.sqrt(high / scale))


def rank_biserial_interval(
    u: float, n1: int, n2: int, confidence: float = 0.95
) -> tuple[float, float]:
    """The interval of the rank-biserial r = 2 U / (n1 n2) - 1 (U of the first group).

    A = U / (n1 n2) with Hanley & McNeil's standard error::

        Q1 = A / (2 - A),  Q2 = 2 A^2 / (1 + A)
        SE^2 = (A (1 - A) + (n1 - 1)(Q1 - A^2) + (n2 - 1)(Q2 - A^2)) / (n1 n2)

    computed for max(A, 1 - A) (the formula is stated for A >= 1/2 and is symmetric in the
    labels), then A +- z SE, clipped to [0, 1], mapped to r.
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    area = u / (n1 * n2)
    a = max(area, 1 - area)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    variance = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2)
    se = math.sqrt(max(variance, 0.0))
    low, high = max(0.0, area - z * se), min(1.0, area + z * se)
    return 2 * low - 1, 2 * high - 1


def risk_ratio_interval(
    events_in: int, n_in: int, events_rest: int, n_rest: int, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """The interval of (events_in / n_in) / (events_rest / n_rest); None where a rate is 0
    (the log method has no interval then)."""
    if min(events_in, events_rest) == 0 or min(n_in, n_rest) == 0:
        return None, None
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    ratio = (events_in / n_in) / (events_rest / n_rest)
    se = math.sqrt(1 / events_in - 1 / n_in + 1 / events_rest - 1 / n_rest)
    return ratio * math.exp(-z * se), ratio * math.exp(z * se)
