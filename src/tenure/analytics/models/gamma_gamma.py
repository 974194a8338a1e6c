"""Gamma-Gamma model of spend per transaction, and discounted customer lifetime value.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430; building on Colombo &
Jiang (1999). Equations as in Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
(cited FH13).

Each of a customer's transactions is ``Gamma(p, nu)``; across customers ``nu ~ Gamma(q, gamma)``.
The model describes the mean repeat-purchase value of customers with x >= 1 repeat purchases.
"""

from __future__ import annotations

import math
from typing import Protocol, Self

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from tenure.analytics._validation import as_float_array, check_whole
from tenure.analytics.errors import FitError, InvalidInputError, ModelError
from tenure.analytics.models._base import (
    LOG_BOUND,
    Estimator,
    FloatArray,
    MaximumLikelihood,
    Objective,
    distinct_counts,
    maximize,
    warm_start_stride,
)
from tenure.analytics.models._special import digamma, kernel_threads
from tenure.analytics.models.spend_limit import (
    BOUNDARY_CRITICAL_VALUE,
    homogeneous_spend_fit,
)


class TransactionModel(Protocol):
    """What CLV needs of a purchase model (:class:`BetaGeo` or :class:`ParetoNBD`)."""

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...


@njit(parallel=True, cache=True)
def _spend_sums(
    gamma: float, x: FloatArray, m: FloatArray, w: FloatArray
) -> tuple[float, float, float, float]:
    """Sums of ``log(gamma + x m)`` and ``1 / (gamma + x m)``, plain and times x, each row
    counted ``w`` times (the customers it stands for)."""
    s_log = 0.0
    s_xlog = 0.0
    s_inv = 0.0
    s_xinv = 0.0
    for i in prange(x.size):
        v = gamma + x[i] * m[i]
        lv = w[i] * math.log(v)
        inv = w[i] / v
        s_log += lv
        s_xlog += x[i] * lv
        s_inv += inv
        s_xinv += x[i] * inv
    return s_log, s_xlog, s_inv, s_xinv


@njit(cache=True)
def _x_terms(
    p: float, q: float, gamma: float, xs: FloatArray, nx: FloatArray, n: float
) -> tuple[float, float, float]:
    """Terms of FH13 eq. (3) in x only: ``lgamma(px + q) - lgamma(px) - lgamma(q) + q log
    gamma`` summed once per distinct x, with their derivatives in p and q."""
    ll = n * (q * math.log(gamma) - math.lgamma(q))
    g_p = 0.0
    g_q = n * (math.log(gamma) - digamma(q))
    for k in range(xs.size):
        px = p * xs[k]
        psi = digamma(px + q)
        ll += nx[k] * (math.lgamma(px + q) - math.lgamma(px))
        g_p += nx[k] * xs[k] * (psi - digamma(px))
        g_q += nx[k] * psi
    return ll, g_p, g_q


def _check_spend(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> tuple[FloatArray, ...]:
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    try:
        x, m = (np.atleast_1d(np.ascontiguousarray(v)) for v in np.broadcast_arrays(x, m))
    except ValueError:
        raise InvalidInputError(
            "frequency, monetary_value", "must have the same length (one per customer)"
        ) from None
    check_whole(x, "frequency")
    return x, m


def compress_spend(
    x: FloatArray, m: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Identical (x, m) rows as one row carrying their summed weight, sorted by (x, m), rows
    of weight 0 dropped: the likelihood depends on a customer only through (x, m), and the
    sums then run in one order whatever order the customers came in."""
    order = np.lexsort((m, x))
    x, m, w = x[order], m[order], w[order]
    if x.size == 0:
        return x, m, w
    starts = np.flatnonzero(np.r_[True, (np.diff(x) != 0) | (np.diff(m) != 0)])
    weight = np.add.reduceat(w, starts)
    keep = weight > 0
    return (
        np.ascontiguousarray(x[starts][keep]),
        np.ascontiguousarray(m[starts][keep]),
        np.ascontiguousarray(weight[keep]),
    )


class GammaGamma(Estimator):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005b), fitted by maximum likelihood.

    Attributes
    ----------
    params_ : dict
        ``p`` (shape of each transaction's value), ``q``, ``gamma`` (the customers' spend
        scale ``nu ~ Gamma(q, gamma)``).
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum.
    log_likelihood_ : float
        Log-likelihood of the mean spends (FH13 eq. 3 summed, no constant dropped).
    homogeneous_ : bool
        True when the fit lies at the boundary (no heterogeneity of spend between customers,
        ``q`` and ``gamma`` infinite): predictions are then ``mean_spend_`` for everyone.
    mean_spend_ : float
        The average repeat-purchase value, ``sum(x m) / sum(x)``: the limit's prediction.
    likelihood_ratio_ : float
        ``2 (log L_full - log L_limit)``; the boundary is taken below 2.706 (NaN when the full
        model could not be fitted at all).
    """

    _param_names = ("p", "q", "gamma")

    def fit(
        self,
        frequency: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit on repeat purchases x and mean repeat-purchase value per customer.

        Customers with x = 0 carry no spend information in this model and are skipped, so a
        whole RFM summary can be passed. Those with x >= 1 need a mean value > 0. ``weights``
        is the number of customers each row stands for: an engine's table of distinct
        (x, m) with their counts (:mod:`tenure.analytics.sufficient`) fits as the customers
        it counts would.

        When spend does not vary between customers the maximum lies at the model's boundary
        (q, gamma -> infinity with gamma / q fixed: every customer's nu is the same). That is
        detected, not reported as a failure: ``homogeneous_`` is then True, ``mean_spend_``
        holds the average repeat-purchase value and every prediction is that average (the
        model's limit). See :meth:`boundary_note`.

        Raises
        ------
        InvalidInputError
            For non-finite or negative values, or a zero mean spend with x >= 1.
        FitError
            With fewer than two repeat buyers.
        """
        x, m = _check_spend(frequency, monetary_value)
        if weights is None:
            w = np.ones(x.size)
        else:
            try:
                w = np.ascontiguousarray(
                    np.broadcast_to(as_float_array(weights, "weights"), x.shape), dtype=np.float64
                )
            except ValueError:
                raise InvalidInputError(
                    "weights", "must have one value per row of frequency and monetary_value"
                ) from None
        buyers = (x > 0) & (w > 0)
        x, m, w = x[buyers], m[buyers], w[buyers]
        if (m <= 0).any():
            bad = np.flatnonzero(m <= 0)
            raise InvalidInputError(
                "monetary_value",
                "must be > 0 for customers with repeat purchases (drop free or refunded ones)",
                count=int(bad.size),
                example=int(np.flatnonzero(buyers)[bad[0]]),
            )
        if w.sum() < 2:
            raise FitError("GammaGamma", "needs at least two customers with repeat purchases")
        # Sorted sufficient statistics: sums run in one order and the warm start's strided
        # sample is the same whatever order the customers came in.
        x, m, w = compress_spend(x, m, w)
        self.n_customers_ = float(w.sum())
        self.n_rows_fitted_ = int(x.size)
        limit = homogeneous_spend_fit(x, m, w)
        self.mean_spend_ = limit.mean_spend
        try:
            full = self._fit_full(x, m, w) if np.ptp(m) > 0 else None
        except FitError:
            full = None  # q and gamma ran off to infinity: the boundary, handled below
        self.likelihood_ratio_ = (
            math.nan if full is None else 2.0 * (full.log_likelihood - limit.log_likelihood)
        )
        if full is None or not self.likelihood_ratio_ > BOUNDARY_CRITICAL_VALUE:
            self.homogeneous_ = True
            self.params_ = {"p": limit.p, "q": math.inf, "gamma": math.inf}
            self.standard_errors_ = {"p": limit.p_standard_error, "q": math.nan, "gamma": math.nan}
            self.covariance_ = np.full((3, 3), np.nan)
            self.log_likelihood_ = limit.log_likelihood
            self.n_evaluations_ = 0
            return self
        self.homogeneous_ = False
        self._store(full)
        return self

    def _fit_full(self, x: FloatArray, m: FloatArray, w: FloatArray) -> MaximumLikelihood:
        stride = warm_start_stride(x.size)
        warm_up = self._objective(x[::stride], m[::stride], w[::stride]) if stride > 1 else None
        start = self.initial_params or self._default_start(x, m, w)
        theta0 = np.log([float(start[k]) for k in self._param_names])
        return maximize(
            self._objective(x, m, w),
            np.clip(theta0, -LOG_BOUND + 1, LOG_BOUND - 1),
            n=float(w.sum()),
            model="GammaGamma",
            names=self._param_names,
            warm_up=None if self.initial_params else warm_up,
        )

    def boundary_note(self, currency: str = "$") -> str:
        """The fit's outcome in words when it lies at the boundary ("" otherwise)."""
        self._check_fitted()
        if not self.homogeneous_:
            return ""
        return (
            "spend does not vary between customers: everyone's expected order value is the "
            f"average, {currency}{self.mean_spend_:,.2f}"
        )

    @staticmethod
    def _objective(x: FloatArray, m: FloatArray, w: FloatArray) -> Objective:
        """Mean negative log-likelihood of FH13 eq. (3) and its gradient in log-parameters,
        each row counted ``w`` times."""
        n = float(w.sum())
        # Terms of eq. (3) free of parameters or linear in them, computed once.
        log_m = np.log(m)
        # Plain sums, not ``@``: a BLAS dot out here wakes OpenBLAS's thread pool (5 ms on a
        # busy 2-core machine, more than the whole fit of 40k customers).
        sum_x_log_m = float(np.sum(w * x * log_m))
        sum_x_log_x = float(np.sum(w * x * np.log(x)))
        sum_log_m = float(np.sum(w * log_m))
        xs, nx = distinct_counts(x, w)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            p, q, gamma = (float(v) for v in np.exp(theta))
            with kernel_threads(x.size, ns_per_row=4):
                s_log, s_xlog, s_inv, s_xinv = _spend_sums(gamma, x, m, w)
            ll, g_p, g_q = _x_terms(p, q, gamma, xs, nx, n)
            ll += p * (sum_x_log_m + sum_x_log_x - s_xlog) - sum_log_m - q * s_log
            g_p += sum_x_log_m + sum_x_log_x - s_xlog
            g_q -= s_log
            g_gamma = n * q / gamma - p * s_xinv - q * s_inv
            grad = np.array([g_p * p, g_q * q, g_gamma * gamma])
            return -ll / n, -grad / n

        return objective

    @staticmethod
    def _default_start(x: FloatArray, m: FloatArray, w: FloatArray) -> dict[str, float]:
        # E[Z] = p gamma / (q - 1): with p = 2, q = 3 the start matches the mean spend, so the
        # search begins on the data's currency scale.
        mean = float(np.average(m, weights=x * w))
        return {"p": 2.0, "q": 3.0, "gamma": mean}

    def conditional_expected_average_profit(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """E[Z | x, mean spend m_x], FH13 eq. (5): ``p (gamma + x m_x) / (p x + q - 1)``.

        A weighted average of the population mean ``p gamma / (q - 1)`` and the customer's own
        mean; for x = 0 it is the population mean.

        Raises
        ------
        ModelError
            When q <= 1: the population's mean spend is then infinite.
        """
        params = self._check_fitted()
        if getattr(self, "homogeneous_", False):
            # The model's limit q, gamma -> infinity: the customer's own mean gets weight
            # p x / (p x + q - 1) -> 0, and the population mean p gamma / (q - 1) -> p / nu.
            x, m = _check_spend(frequency, monetary_value)
            return np.full(np.broadcast(x, m).shape, self.mean_spend_)
        p, q, gamma = params["p"], params["q"], params["gamma"]
        if q <= 1:
            raise ModelError(
                "GammaGamma",
                f"q = {q:.4g} <= 1 means the model's mean spend per customer is infinite; "
                "expected spend and CLV are not defined",
            )
        x, m = _check_spend(frequency, monetary_value)
        return p * (gamma + x * m) / (p * x + q - 1.0)

    def predict_spend(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """Expected average spend per future purchase (scikit-learn-style name)."""
        return self.conditional_expected_average_profit(frequency, monetary_value)

    def customer_lifetime_value(
        self,
        transaction_model: TransactionModel,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        *,
        horizon: float,
        periods_per_year: float,
        discount_rate_annual: float = 0.0,
        margin: float = 1.0,
        steps_per_year: int = 12,
    ) -> FloatArray:
        """Discounted expected value of each customer's purchases over the next ``horizon``.

        ``margin * E[spend] * sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d)^(t_k / year)`` over
        steps ``t_k`` of one ``1 / steps_per_year`` year (monthly by default; the last one
        ends at ``horizon``), discounting each step's purchases from its end, as lifetimes'
        ``customer_lifetime_value`` does with monthly steps.

        Parameters
        ----------
        transaction_model : BetaGeo or ParetoNBD
            A fitted purchase model, in the same time unit as ``recency`` and ``T``.
        horizon : float
            How far ahead, in the models' time unit (e.g. 52 weeks).
        periods_per_year : float
            Time units in a year: 365.25 for days, 52.18 for weeks, 12 for months.
        discount_rate_annual : float
            Yearly discount rate (0.1 for 10 %).
        margin : float
            Profit margin applied to spend (1.0 for revenue).

        Raises
        ------
        ModelError
            When the Gamma-Gamma q <= 1 (infinite mean spend): CLV is refused, never negative.
        """
        spend = self.conditional_expected_average_profit(frequency, monetary_value)
        for name, value in (("horizon", horizon), ("periods_per_year", periods_per_year)):
            if not (math.isfinite(value) and value > 0):
                raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")
        for name, value in (("discount_rate_annual", discount_rate_annual), ("margin", margin)):
            if not (math.isfinite(value) and value >= 0):
                raise InvalidInputError(name, f"must be a finite number >= 0, got {value!r}")
        if not (isinstance(steps_per_year, int) and steps_per_year > 0):
            raise InvalidInputError("steps_per_year", "must be a whole number > 0")
        step = periods_per_year / steps_per_year
        ends = np.append(np.arange(step, horizon, step), horizon)
        discounted = np.zeros(np.broadcast(spend, np.asarray(T)).shape)
        before = np.zeros_like(discounted)
        for end in ends:
            cumulative = transaction_model.conditional_expected_number_of_purchases_up_to_time(
                end, frequency, recency, T
            )
            discounted += np.maximum(cumulative - before, 0.0) / (1.0 + discount_rate_annual) ** (
                end / periods_per_year
            )
            before = cumulative
        return margin * spend * discounted

    # The scikit-learn-style name for the same computation.
    predict_clv = customer_lifetime_value
