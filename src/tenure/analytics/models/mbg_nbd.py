"""MBG/NBD: BG/NBD in which a customer may also drop out right after the first purchase.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison of
models for customer base analysis. *International Journal of Research in Marketing* 24(3),
201-209; the conditional expectation as corrected by Wagner, U. & Hoppe, D. (2008), Erratum on
the MBG/NBD model, *IJRM* 25(3), 225-226. (Hoppe & Wagner 2007 call the same model CBG/NBD.)

While alive a customer buys at Poisson rate ``lambda ~ Gamma(r, alpha)``; at time 0 (right after
the first purchase) and after every repeat purchase they drop out with probability
``p ~ Beta(a, b)``. In BG/NBD the first purchase is never the last, so a one-time buyer is alive
with probability 1 however long they stay silent; here their P(alive) falls with the silence.

The likelihood, derived from these assumptions (Batislam et al. 2007, section 3): a customer
with ``x`` repeat purchases, the last at ``t_x``, observed to ``T``, either is alive at T or
dropped out right after the purchase at ``t_x`` (the first, at 0, when x = 0):

    L(lambda, p) = (1 - p)^(x+1) lambda^x e^(-lambda T) + p (1 - p)^x lambda^x e^(-lambda t_x)

and over the gamma and beta mixing distributions (B: the beta function)

    L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x+1) / B(a, b) (alpha+T)^-(r+x)
                                          + B(a+1, b+x) / B(a, b) (alpha+t_x)^-(r+x) ]

Because ``B(a+1, b+x) / B(a, b+x+1) = a / (b+x)``, the bracket factors into
``B(a, b+x+1)/B(a, b) (alpha+T)^-(r+x) (1 + e^d)`` with
``d = log(a / (b+x)) + (r+x) log((alpha+T) / (alpha+t_x))``, and

    P(alive at T | x, t_x, T) = 1 / (1 + e^d)

(Batislam et al. 2007, Appendix A). Everything else is BG/NBD's algebra with ``b`` replaced by
``b + 1`` and the indicator ``x > 0`` replaced by 1, which is how the expectation below reuses
BG/NBD's series.
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
    """Weighted sums of ``-(r+x) log(alpha+T) + softplus(d)`` (the terms with t_x or T) and
    their gradient in (r, alpha, a, b)."""
    ll = 0.0
    g_r = 0.0
    g_alpha = 0.0
    g_a = 0.0
    g_b = 0.0
    log_a = math.log(a)
    for i in prange(x.size):
        xi = x[i]
        rx = r + xi
        at = alpha + T[i]
        atx = alpha + t_x[i]
        log_at = math.log(at)
        log_ratio = log_at - math.log(atx)
        bx = b + xi
        sp, sig = softplus(log_a - math.log(bx) + rx * log_ratio)
        wi = w[i]
        ll += wi * (sp - rx * log_at)
        g_r += wi * (sig * log_ratio - log_at)
        g_alpha += wi * (sig * rx * (1.0 / at - 1.0 / atx) - rx / at)
        g_a += wi * sig
        g_b -= wi * sig / bx
    return ll, g_r, g_alpha, g_a / a, g_b


@njit(cache=True)
def _x_terms(
    r: float, alpha: float, a: float, b: float, xs: FloatArray, nx: FloatArray, n: float
) -> tuple[float, float, float, float, float]:
    """``lgamma(r+x) - lgamma(r) + r log alpha + log B(a, b+x+1) - log B(a, b)`` summed, once
    per distinct x, with the gradient."""
    log_alpha = math.log(alpha)
    psi_ab = digamma(a + b)
    ll = n * (r * log_alpha - math.lgamma(r) + math.lgamma(a + b) - math.lgamma(b))
    g_r = n * (log_alpha - digamma(r))
    g_a = n * psi_ab
    g_b = n * (psi_ab - digamma(b))
    for k in range(xs.size):
        x = xs[k]
        count = nx[k]
        psi_abx = digamma(a + b + x + 1.0)
        ll += count * (math.lgamma(r + x) + math.lgamma(b + x + 1.0) - math.lgamma(a + b + x + 1.0))
        g_r += count * digamma(r + x)
        g_a -= count * psi_abx
        g_b += count * (digamma(b + x + 1.0) - psi_abx)
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
    """E[Y(t) | x, t_x, T] (Wagner & Hoppe 2008):
    ``(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] P(alive)``
    with ``z = t / (alpha+T+t)``, evaluated as BG/NBD's eq. (10) is here (Euler's
    transformation, exact through a = 1) with b + 1 for b. ``if_alive`` leaves out the factor
    P(alive): the expectation for a customer known to be alive at T.
    """
    out = np.empty(x.size)
    for i in prange(x.size):
        xi = x[i]
        ell = -math.log1p(t[i] / (alpha + T[i]))
        y = (a - 1.0) * ell
        first = -ell if y == 0.0 else -math.expm1(y) / (a - 1.0)
        z = -math.expm1(ell)
        rest = hyp2f1_bgnbd_remainder(a + b - r, a, a + b + xi, z)
        value = (a + b + xi) * (first - math.exp(y) * rest)
        if not if_alive:
            d = (
                math.log(a)
                - math.log(b + xi)
                + (r + xi) * (math.log(alpha + T[i]) - math.log(alpha + t_x[i]))
            )
            value *= 1.0 / (1.0 + math.exp(d)) if d < 0 else math.exp(-d) / (1.0 + math.exp(-d))
        out[i] = max(value, 0.0)
    return out


class ModifiedBetaGeo(CustomerBaseModel):
    """MBG/NBD model (Batislam, Denizel & Filiztekin 2007), fitted by maximum likelihood.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase rate ~ Gamma(r, alpha)), ``a``, ``b`` (dropout probability
        at the first and after each repeat purchase ~ Beta(a, b)).
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum.
    log_likelihood_ : float
        The full log-likelihood (no constant dropped).
    """

    _param_names = ("r", "alpha", "a", "b")

    def _default_start(self, data: CompressedRFM) -> dict[str, float]:
        mean_T = float(np.average(data.T, weights=data.weight))
        mean_x = float(np.average(data.frequency, weights=data.weight))
        return {"r": 1.0, "alpha": max(mean_T, 1e-6) / max(mean_x, 1e-3), "a": 1.0, "b": 1.0}

    def _objective(self, data: CompressedRFM) -> Objective:
        x, t_x, T, w = data.frequency, data.recency, data.T, data.weight
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
        """P(alive at T | x, t_x, T) = ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``
        (Batislam et al. 2007, Appendix A), as a logistic function of the log-odds. Below 1
        for one-time buyers too, falling as they stay silent."""
        p = self._check_fitted()
        x, t_x, age = check_rfm(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        return np.asarray(expit(-log_odds), dtype=np.float64)

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
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] (Wagner & Hoppe 2008)."""
        return self._expected(t, frequency, recency, T, if_alive=False)

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T."""
        return self._expected(t, frequency, recency, T, if_alive=True)
