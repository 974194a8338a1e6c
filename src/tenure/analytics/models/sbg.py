"""Shifted-beta-geometric (sBG) model of contract renewals.

Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing* 21(1), 76-90 (equations cited as FH07). DERL is from Fader & Hardie
(2010), Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity. *Marketing Science* 29(1), 85-93 (FH10).

Each customer renews every period with their own probability ``1 - theta``; across customers
``theta ~ Beta(alpha, beta)``. Retention rates rise over time because the customers most
likely to cancel leave first.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, hyp2f1

from tenure.analytics._validation import as_float_array, check_whole
from tenure.analytics.errors import FitError, InvalidInputError
from tenure.analytics.models._base import LOG_BOUND, Estimator, FloatArray, maximize


def survivors_to_lost(survivors: npt.ArrayLike) -> tuple[FloatArray, float]:
    """Turn a cohort's active counts at the start of periods 0..n into FH07's fitting input.

    Returns ``(lost, still_active)``: ``lost[t-1]`` customers cancelled in period t (the drop
    from t-1 to t) and ``still_active`` are alive after period n (right-censored).
    """
    counts = as_float_array(survivors, "survivors")
    check_whole(counts, "survivors")
    if counts.ndim != 1 or counts.size < 2:
        raise InvalidInputError("survivors", "needs the cohort size and at least one later count")
    lost = -np.diff(counts)
    if (lost < 0).any():
        raise InvalidInputError("survivors", "must not increase from one period to the next")
    return lost, float(counts[-1])


class ShiftedBetaGeometric(Estimator):
    """sBG model (Fader & Hardie 2007) fitted by maximum likelihood to one renewal cohort.

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta``: the churn probability per period is Beta(alpha, beta) across
        customers.
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood at the optimum.
    log_likelihood_ : float
        FH07 eq. (5), summed with no constant dropped.

    Examples
    --------
    >>> lost, active = survivors_to_lost([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> model = ShiftedBetaGeometric().fit(lost, active)
    >>> model.survival_function(range(13))  # 1.0, 0.627, ... (FH07 table 1, "Regular")
    """

    _param_names = ("alpha", "beta")

    def fit(self, lost: npt.ArrayLike, still_active: float) -> Self:
        """Fit on the customers lost in periods 1..n and those still active after period n.

        Raises
        ------
        InvalidInputError
            For negative or fractional counts.
        FitError
            When nobody was lost (retention looks perfect: alpha -> 0) or nobody survived
            period 1 with no one left to censor, so the data do not identify (alpha, beta).
        """
        n_t = as_float_array(lost, "lost")
        check_whole(n_t, "lost")
        alive = as_float_array(still_active, "still_active")
        check_whole(alive, "still_active")
        if n_t.ndim != 1 or n_t.size == 0:
            raise InvalidInputError("lost", "needs one count per period (at least one period)")
        total = float(n_t.sum() + alive)
        if total == 0:
            raise FitError("ShiftedBetaGeometric", "the cohort is empty")
        if n_t.sum() == 0:
            raise FitError("ShiftedBetaGeometric", "nobody cancelled: churn cannot be estimated")
        if n_t.size == 1:
            raise FitError(
                "ShiftedBetaGeometric",
                "one period gives one retention rate, which cannot separate alpha from beta",
            )
        t = np.arange(1, n_t.size + 1, dtype=np.float64)
        end = float(n_t.size)
        n_alive = float(alive)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            a, b = np.exp(theta)
            base = betaln(a, b)
            # FH07 eq. (3): P(T = t) = B(a+1, b+t-1) / B(a, b); eq. (4): S(t) = B(a, b+t) / B(a, b)
            log_p = betaln(a + 1.0, b + t - 1.0) - base
            log_s = betaln(a, b + end) - base
            ll = n_t @ log_p + n_alive * log_s
            psi_a, psi_b, psi_ab = digamma(a), digamma(b), digamma(a + b)
            psi_abt = digamma(a + b + t)
            psi_abend = digamma(a + b + end)
            g_a = n_t @ (digamma(a + 1.0) - psi_abt - psi_a + psi_ab) + n_alive * (
                psi_ab - psi_abend
            )
            g_b = n_t @ (digamma(b + t - 1.0) - psi_abt - psi_b + psi_ab) + n_alive * (
                digamma(b + end) - psi_abend - psi_b + psi_ab
            )
            return -ll / total, -np.array([g_a * a, g_b * b]) / total

        start = self.initial_params or {"alpha": 1.0, "beta": 1.0}
        theta0 = np.log([float(start[k]) for k in self._param_names])
        fit = maximize(
            objective,
            np.clip(theta0, -LOG_BOUND + 1, LOG_BOUND - 1),
            n=total,
            model="ShiftedBetaGeometric",
            names=self._param_names,
        )
        self._store(fit)
        self.n_customers_ = total
        self.n_periods_ = int(n_t.size)
        return self

    def _periods(self, t: npt.ArrayLike, minimum: float) -> FloatArray:
        periods = as_float_array(t, "t", minimum=minimum)
        check_whole(periods, "t")
        return periods

    def survival_function(self, t: npt.ArrayLike) -> FloatArray:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): share still active after t periods."""
        p = self._check_fitted()
        periods = self._periods(t, 0.0)
        a, b = p["alpha"], p["beta"]
        return np.exp(betaln(a, b + periods) - betaln(a, b))

    def predict_survival(self, t: npt.ArrayLike) -> FloatArray:
        """Alias of :meth:`survival_function` (scikit-learn-style name)."""
        return self.survival_function(t)

    def churn_probability(self, t: npt.ArrayLike) -> FloatArray:
        """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta): cancel in period t >= 1."""
        p = self._check_fitted()
        periods = self._periods(t, 1.0)
        a, b = p["alpha"], p["beta"]
        return np.exp(betaln(a + 1.0, b + periods - 1.0) - betaln(a, b))

    def retention_rate(self, t: npt.ArrayLike) -> FloatArray:
        """r_t = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1), FH07 eq. (6)."""
        p = self._check_fitted()
        periods = self._periods(t, 1.0)
        a, b = p["alpha"], p["beta"]
        return (b + periods - 1.0) / (a + b + periods - 1.0)

    def predict_retention_rate(self, t: npt.ArrayLike) -> FloatArray:
        """Alias of :meth:`retention_rate` (scikit-learn-style name)."""
        return self.retention_rate(t)

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, renewals: npt.ArrayLike = 0
    ) -> FloatArray:
        """DERL, FH10 eq. (6): discounted periods still to come for an active customer.

        ``(beta + n - 1) / (alpha + beta + n - 1) * 2F1(1, beta + n; alpha + beta + n;
        1 / (1 + d))`` for a customer who has renewed ``renewals = n - 1`` times, valued just
        before the n-th renewal decision (the next period, if renewed, is not discounted).
        Multiply by the margin per period for the residual value of a contract.

        Parameters
        ----------
        discount_rate : float
            Per-period discount rate d > 0 (with d = 0 the sum diverges when alpha <= 1).
        renewals : int or array of int
            Renewals already made (0 for a customer in their first period).
        """
        p = self._check_fitted()
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise InvalidInputError("discount_rate", "must be a finite number > 0")
        n = as_float_array(renewals, "renewals") + 1.0
        check_whole(n, "renewals")
        a, b = p["alpha"], p["beta"]
        return (
            (b + n - 1.0)
            / (a + b + n - 1.0)
            * hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount_rate))
        )
