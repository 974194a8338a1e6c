"""BG/NBD: the beta-geometric/negative-binomial model of non-contractual buying.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284. Equation numbers below
refer to that paper; P(alive) is from Fader, Hardie & Lee (2008), "Computing P(alive) using the
BG/NBD model".

While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; after each purchase
they drop out with probability ``p ~ Beta(a, b)``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit, prange
from scipy.special import expit

from tenure.analytics._validation import as_float_array, check_rfm
from tenure.analytics.models._base import FloatArray, Objective, distinct_counts
from tenure.analytics.models._customer import CustomerBaseModel
from tenure.analytics.models._special import (
    digamma,
    hyp2f1_bgnbd_remainder,
    kernel_threads,
    softplus,
)
from tenure.analytics.summary import CompressedRFM


@njit(parallel=True, cache=True)
def _loglik_rows(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    w: FloatArray,
) -> tuple[float, float, float, float, float]:
    """Weighted sums over rows of the per-customer terms of eq. (6) that involve t_x or T.

    Per customer, ``log L = [terms in x only] - (r + x) log(alpha + T) + softplus(d)`` with
    ``d = log(a / (b + x - 1)) + (r + x) log((alpha + T) / (alpha + t_x))`` for x > 0: eq. (6)
    with its two terms factored so the sum never overflows. Returns the sum and its gradient
    in (r, alpha, a, b).
    """
    ll = 0.0
    g_r = 0.0
    g_alpha = 0.0
    g_a = 0.0
    g_b = 0.0
    log_a = math.log(a)
    for i in prange(x.size):
        xi = x[i]
        rx = r + xi
        inv_at = 1.0 / (alpha + T[i])
        log_at = -math.log(inv_at)
        value = -rx * log_at
        d_r = -log_at
        d_alpha = -rx * inv_at
        d_a = 0.0
        d_b = 0.0
        if xi > 0:
            atx = alpha + t_x[i]
            log_ratio = log_at - math.log(atx)
            bx = b + xi - 1.0
            sp, sig = softplus(log_a - math.log(bx) + rx * log_ratio)
            value += sp
            d_r += sig * log_ratio
            d_alpha += sig * rx * (inv_at - 1.0 / atx)
            d_a = sig
            d_b = -sig / bx
        wi = w[i]
        ll += wi * value
        g_r += wi * d_r
        g_alpha += wi * d_alpha
        g_a += wi * d_a
        g_b += wi * d_b
    return ll, g_r, g_alpha, g_a / a, g_b


@njit(cache=True)
def _x_terms(
    r: float, alpha: float, a: float, b: float, xs: FloatArray, nx: FloatArray, n: float
) -> tuple[float, float, float, float, float]:
    """The terms of eq. (6) that depend on x only (and constants), once per distinct x."""
    log_alpha = math.log(alpha)
    psi_ab = digamma(a + b)
    ll = n * (r * log_alpha - math.lgamma(r) - math.lgamma(b) + math.lgamma(a + b))
    g_r = n * (log_alpha - digamma(r))
    g_a = n * psi_ab
    g_b = n * (psi_ab - digamma(b))
    for k in range(xs.size):
        x = xs[k]
        count = nx[k]
        psi_abx = digamma(a + b + x)
        ll += count * (math.lgamma(r + x) + math.lgamma(b + x) - math.lgamma(a + b + x))
        g_r += count * digamma(r + x)
        g_a -= count * psi_abx
        g_b += count * (digamma(b + x) - psi_abx)
    return ll, g_r, n * r / alpha, g_a, g_b


@njit(parallel=True, cache=True)
def _expected_purchases(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    if_alive: bool,
) -> FloatArray:
    """Eq. (10), rewritten to stay finite for any x, t and for a near 1.

    With ``z = t / (alpha + T + t)`` and ``l = log(1 - z)``, Euler's transformation turns
    ``(1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)`` into ``(1 - z)^(a-1) 2F1(a+b-1-r, a-1;
    a+b+x-1; z)``, so eq. (10)'s numerator becomes ``(a+b+x-1) [(1 - e^((a-1) l)) / (a-1)
    - e^((a-1) l) R]`` (R from :func:`hyp2f1_bgnbd_remainder`) and its denominator is
    1 / P(alive). ``if_alive`` leaves that factor out: the expectation of a customer known to
    be alive at T.
    """
    out = np.empty(x.size)
    for i in prange(x.size):
        xi = x[i]
        ell = -math.log1p(t[i] / (alpha + T[i]))
        y = (a - 1.0) * ell
        first = -ell if y == 0.0 else -math.expm1(y) / (a - 1.0)
        z = -math.expm1(ell)
        rest = hyp2f1_bgnbd_remainder(a + b - 1.0 - r, a, a + b + xi - 1.0, z)
        value = (a + b + xi - 1.0) * (first - math.exp(y) * rest)
        if xi > 0 and not if_alive:
            d = (
                math.log(a)
                - math.log(b + xi - 1)
                + (r + xi) * (math.log(alpha + T[i]) - math.log(alpha + t_x[i]))
            )
            value *= 1.0 / (1.0 + math.exp(d)) if d < 0 else math.exp(-d) / (1.0 + math.exp(-d))
        out[i] = max(value, 0.0)
    return out


class BetaGeo(CustomerBaseModel):
    """BG/NBD model (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

    Parameters
    ----------
    initial_params : dict, optional
        Starting point for the optimiser, by name (``r``, ``alpha``, ``a``, ``b``); a previous
        fit's ``params_`` makes a refit on similar data quicker.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase rate ~ Gamma(r, alpha)), ``a``, ``b`` (dropout ~ Beta(a, b)).
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum.
    log_likelihood_ : float
        The full log-likelihood (eq. 6 summed, no constant dropped): -9582.43 on CDNOW.

    Examples
    --------
    >>> model = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    >>> model.predict_purchases(52, 2, 30.43, 38.86)  # next 52 weeks
    """

    _param_names = ("r", "alpha", "a", "b")

    def _default_start(self, data: CompressedRFM) -> dict[str, float]:
        # Mean purchase rate r / alpha near the observed repeat rate; neutral dropout.
        mean_T = float(np.average(data.T, weights=data.weight))
        mean_x = float(np.average(data.frequency, weights=data.weight))
        return {"r": 1.0, "alpha": max(mean_T, 1e-6) / max(mean_x, 1e-3), "a": 1.0, "b": 1.0}

    def _objective(self, data: CompressedRFM) -> Objective:
        x, t_x, T, w = data.frequency, data.recency, data.T, data.weight
        # Terms of eq. (6) that depend on x only: once per distinct x, weighted by its count
        # (PERFORMANCE.md: a handful of values, not one per customer).
        xs, nx = distinct_counts(x, w)
        n = data.n_customers

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            params = np.exp(theta)
            r, alpha, a, b = (float(v) for v in params)
            with kernel_threads(x.size, ns_per_row=45):
                rows = _loglik_rows(r, alpha, a, b, x, t_x, T, w)
            fixed = _x_terms(r, alpha, a, b, xs, nx, n)
            grad = np.add(rows[1:], fixed[1:]) * params  # chain rule: d/d log p = p d/dp
            return -(rows[0] + fixed[0]) / n, -grad / n

        return objective

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T), Fader, Hardie & Lee (2008) eq. (3); 1 when x = 0.

        ``1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``, evaluated as a
        logistic function of the log-odds so that large x or T give 0, never NaN.
        """
        p = self._check_fitted()
        x, t_x, age = check_rfm(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        repeat = x > 0
        log_odds = (
            np.log(a)
            - np.log(np.where(repeat, b + x - 1, 1.0))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        return np.where(repeat, expit(-log_odds), 1.0)

    def _expected(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike,
        T: npt.ArrayLike, *, if_alive: bool,
    ) -> FloatArray:  # fmt: skip
        p = self._check_fitted()
        x, t_x, age = check_rfm(frequency, recency, T)
        horizon = as_float_array(t, "t")
        horizon, x, t_x, age = (
            np.ascontiguousarray(v) for v in np.broadcast_arrays(horizon, x, t_x, age)
        )
        with kernel_threads(x.size, ns_per_row=150):
            return _expected_purchases(
                p["r"], p["alpha"], p["a"], p["b"], horizon, x, t_x, age, if_alive
            )

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t], eq. (10) of FHL (2005)."""
        return self._expected(t, frequency, recency, T, if_alive=False)

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T: eq. (10)
        without its P(alive) factor (the numerator)."""
        return self._expected(t, frequency, recency, T, if_alive=True)
