"""Pareto/NBD: Poisson purchases and exponential lifetimes, both gamma-mixed.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are they
and what will they do next? *Management Science* 33(1), 1-24. The likelihood and expectations
follow Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions"
(equations cited as FH05).

While alive a customer buys at rate ``lambda ~ Gamma(r, alpha)``; their lifetime is
exponential with rate ``mu ~ Gamma(s, beta)``.

The likelihood's Gauss hypergeometric term overflows in double precision for large x or T when
evaluated as printed. Here it is written as an integral over the dropout time,
``s * int_{t_x}^{T} (alpha + tau)^-(r+x) (beta + tau)^-(s+1) d tau``, whose antiderivative is a
2F1 that Euler's transformation (A&S 15.3.3) turns into ``2F1(1, m; r+s+x+1; z)`` with positive
terms summing to at most 1/(1-z); every prefactor stays a logarithm and the difference of the
antiderivative at T and t_x is taken with ``log1mexp``.

Cost: the series needs about ``-37 / log(z)`` terms, z = |alpha - beta| / (max(alpha, beta) +
t_x): a handful when alpha and beta are alike (CDNOW: z < 0.1), ~2,000 when one is 50x the
other (z = 0.98; a 20k-customer fit then takes seconds, not a fraction of one). Beyond
z = 0.9995 the sum is cut at 100,000 terms with a geometric tail estimate (1e-5 relative at
z = 0.99999, checked against quadrature).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from tenure.analytics._validation import as_float_array, check_rfm
from tenure.analytics.models._base import FloatArray, Objective, distinct_counts
from tenure.analytics.models._customer import CustomerBaseModel
from tenure.analytics.models._special import (
    digamma,
    kernel_threads,
    log1mexp,
    log_hyp2f1_one,
)
from tenure.analytics.summary import CompressedRFM

RUNAWAY_S = 100.0


@njit(cache=True)
def _log_antiderivative(
    r: float, alpha: float, s: float, beta: float, x: float, u: float
) -> tuple[float, float, float, float, float, float]:
    """log D(u), where ``int_u^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau = D(u) / (r+s+x)``.

    Returns ``(log D, log F, d/dr, d/dalpha, d/ds, d/dbeta)``, F being the 2F1 factor. The
    series runs in ``z = |alpha - beta| / (max(alpha, beta) + u) < 1`` (FH05 eq. 22's two
    cases, after Euler's transformation).
    """
    au = alpha + u
    bu = beta + u
    c = r + s + x + 1.0
    if alpha >= beta:
        log_f, f_m, f_c, f_z = log_hyp2f1_one(r + x, c, (alpha - beta) / au)
        value = -(r + x) * math.log(au) - s * math.log(bu) + log_f
        d_r = -math.log(au) + f_m + f_c
        d_alpha = -(r + x) / au + f_z * bu / (au * au)
        d_s = -math.log(bu) + f_c
        d_beta = -s / bu - f_z / au
    else:
        log_f, f_m, f_c, f_z = log_hyp2f1_one(s + 1.0, c, (beta - alpha) / bu)
        value = (1.0 - r - x) * math.log(au) - (s + 1.0) * math.log(bu) + log_f
        d_r = -math.log(au) + f_c
        d_alpha = (1.0 - r - x) / au - f_z / bu
        d_s = -math.log(bu) + f_m + f_c
        d_beta = -(s + 1.0) / bu + f_z * au / (bu * bu)
    return value, log_f, d_r, d_alpha, d_s, d_beta


@njit(cache=True)
def _row(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> tuple[float, float, float, float, float, float]:
    """One customer's log-likelihood without its x-only and constant parts (FH05 eq. 19).

    ``log L = lgamma(r+x) - lgamma(r) + r log alpha + s log beta + logaddexp(A1, A2)`` with
    ``A1 = -(r+x) log(alpha+T) - s log(beta+T)`` (alive at T) and ``A2 = log(s / (r+s+x)) +
    log(D(t_x) - D(T))`` (dropped out in (t_x, T]). Returns ``(logaddexp(A1, A2), P(alive),
    gradient in r, alpha, s, beta)``; P(alive) = exp(A1 - logaddexp(A1, A2)), FH05 eq. 18.
    """
    at = alpha + T
    bt = beta + T
    a1 = -(r + x) * math.log(at) - s * math.log(bt)
    g1 = (-math.log(at), -(r + x) / at, -math.log(bt), -s / bt)
    if not t_x < T:
        return a1, 1.0, g1[0], g1[1], g1[2], g1[3]
    lo, lf_lo, lo_r, lo_alpha, lo_s, lo_beta = _log_antiderivative(r, alpha, s, beta, x, t_x)
    _, lf_hi, hi_r, hi_alpha, hi_s, hi_beta = _log_antiderivative(r, alpha, s, beta, x, T)
    # delta = log D(T) - log D(t_x) < 0, from log1p of the gap: exact even when T ~ t_x.
    gap = T - t_x
    if alpha >= beta:
        delta = -(r + x) * math.log1p(gap / (alpha + t_x)) - s * math.log1p(gap / (beta + t_x))
    else:
        delta = (1.0 - r - x) * math.log1p(gap / (alpha + t_x)) - (s + 1.0) * math.log1p(
            gap / (beta + t_x)
        )
    delta += lf_hi - lf_lo
    if not delta < 0.0:
        return a1, 1.0, g1[0], g1[1], g1[2], g1[3]
    a2 = math.log(s) - math.log(r + s + x) + lo + log1mexp(delta)
    # d log(D_lo - D_hi) = (dD_lo - e^delta dD_hi) / (1 - e^delta)
    share = math.exp(delta)
    k = -1.0 / math.expm1(delta)
    g2_r = -1.0 / (r + s + x) + k * (lo_r - share * hi_r)
    g2_alpha = k * (lo_alpha - share * hi_alpha)
    g2_s = 1.0 / s - 1.0 / (r + s + x) + k * (lo_s - share * hi_s)
    g2_beta = k * (lo_beta - share * hi_beta)
    top = max(a1, a2)
    e1 = math.exp(a1 - top)
    e2 = math.exp(a2 - top)
    alive = e1 / (e1 + e2)
    dead = 1.0 - alive
    return (
        top + math.log(e1 + e2),
        alive,
        alive * g1[0] + dead * g2_r,
        alive * g1[1] + dead * g2_alpha,
        alive * g1[2] + dead * g2_s,
        alive * g1[3] + dead * g2_beta,
    )


@njit(parallel=True, cache=True)
def _loglik_rows(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    w: FloatArray,
) -> tuple[float, float, float, float, float]:
    """Weighted sum of :func:`_row` over customers and its gradient (one fused parallel pass)."""
    ll = 0.0
    g_r = 0.0
    g_alpha = 0.0
    g_s = 0.0
    g_beta = 0.0
    for i in prange(x.size):
        value, _, d_r, d_alpha, d_s, d_beta = _row(r, alpha, s, beta, x[i], t_x[i], T[i])
        wi = w[i]
        ll += wi * value
        g_r += wi * d_r
        g_alpha += wi * d_alpha
        g_s += wi * d_s
        g_beta += wi * d_beta
    return ll, g_r, g_alpha, g_s, g_beta


@njit(cache=True)
def _x_terms(
    r: float, alpha: float, s: float, beta: float, xs: FloatArray, nx: FloatArray, n: float
) -> tuple[float, float, float, float, float]:
    """``lgamma(r+x) - lgamma(r) + r log alpha + s log beta`` summed, once per distinct x."""
    ll = n * (r * math.log(alpha) + s * math.log(beta) - math.lgamma(r))
    g_r = n * (math.log(alpha) - digamma(r))
    for k in range(xs.size):
        ll += nx[k] * math.lgamma(r + xs[k])
        g_r += nx[k] * digamma(r + xs[k])
    return ll, g_r, n * r / alpha, n * math.log(beta), n * s / beta


@njit(parallel=True, cache=True)
def _probability_alive(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    out = np.empty(x.size)
    for i in prange(x.size):
        out[i] = _row(r, alpha, s, beta, x[i], t_x[i], T[i])[1]
    return out


class ParetoNBD(CustomerBaseModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), fitted by maximum likelihood.

    Parameters
    ----------
    initial_params : dict, optional
        Starting point by name (``r``, ``alpha``, ``s``, ``beta``).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase rate ~ Gamma(r, alpha)), ``s``, ``beta`` (dropout rate ~
        Gamma(s, beta)).
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum.
    log_likelihood_ : float
        The full log-likelihood (FH05 eq. 19 summed): -9594.97 on CDNOW.
    """

    _param_names = ("r", "alpha", "s", "beta")

    def _runaway(self, params: FloatArray) -> str:
        # s >= 100: the dropout rate's coefficient of variation 1/sqrt(s) is under 10 %, and the
        # search is heading for the boundary s, beta -> infinity (one dropout rate for all),
        # where the series need up to 100,000 terms a customer: stop, and say so.
        s = float(params[2])
        if s < RUNAWAY_S:
            return ""
        return (
            f"its best fit has dropout rates that hardly vary between customers (s = {s:,.0f} "
            "and rising: under 10 % variation), where s and beta run off to infinity together "
            "(the model's boundary)"
        )

    def _default_start(self, data: CompressedRFM) -> dict[str, float]:
        # alpha = beta starts every series at z = 0 (one term); the rate matches the data.
        mean_T = float(np.average(data.T, weights=data.weight))
        mean_x = float(np.average(data.frequency, weights=data.weight))
        scale = max(mean_T, 1e-6) / max(mean_x, 1e-3)
        return {"r": 1.0, "alpha": scale, "s": 1.0, "beta": scale}

    def _objective(self, data: CompressedRFM) -> Objective:
        x, t_x, T, w = data.frequency, data.recency, data.T, data.weight
        xs, nx = distinct_counts(x, w)
        n = data.n_customers

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            params = np.exp(theta)
            r, alpha, s, beta = (float(v) for v in params)
            with kernel_threads(x.size, ns_per_row=250):
                rows = _loglik_rows(r, alpha, s, beta, x, t_x, T, w)
            fixed = _x_terms(r, alpha, s, beta, xs, nx, n)
            grad = np.add(rows[1:], fixed[1:]) * params  # chain rule: d/d log p = p d/dp
            return -(rows[0] + fixed[0]) / n, -grad / n

        return objective

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T), FH05 eq. (18), evaluated in log space."""
        p = self._check_fitted()
        x, t_x, age = check_rfm(frequency, recency, T)
        with kernel_threads(x.size, ns_per_row=250):
            return _probability_alive(p["r"], p["alpha"], p["s"], p["beta"], x, t_x, age)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T], FH05 eq. (21): P(alive) times the alive customer's expectation.

        ``(r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]``, computed as
        ``-expm1((s-1) l) / (s-1)`` with ``l = -log1p(t / (beta+T))`` so s = 1 (where the
        bracket becomes a logarithm) needs no special case.
        """
        x, t_x, age = check_rfm(frequency, recency, T)
        alive = self.conditional_probability_alive(x, t_x, age)
        return alive * self.expected_purchases_if_alive(t, x, t_x, age)

    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T: FH05 eq. (21)
        without its P(alive) factor."""
        p = self._check_fitted()
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        x, _t_x, age = check_rfm(frequency, recency, T)
        horizon = as_float_array(t, "t")
        ell = -np.log1p(horizon / (beta + age))
        y = (s - 1.0) * ell
        with np.errstate(invalid="ignore", divide="ignore"):
            bracket = np.where(y == 0.0, -ell, -np.expm1(y) / np.where(y == 0.0, 1.0, s - 1.0))
        return np.asarray((r + x) * (beta + age) / (alpha + age) * bracket, dtype=np.float64)
