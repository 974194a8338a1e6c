"""The shape the non-contractual models share (BG/NBD, Pareto/NBD): fitting on (x, t_x, T)
and the predictions built on P(alive) and the conditional expected purchases."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np
import numpy.typing as npt

from tenure.analytics._validation import check_rfm
from tenure.analytics.errors import FitError, InvalidInputError
from tenure.analytics.models._base import (
    LOG_BOUND,
    Estimator,
    FloatArray,
    Objective,
    maximize,
    warm_start_stride,
)
from tenure.analytics.summary import CompressedRFM, compress_rfm, systematic_sample


class CustomerBaseModel(Estimator, ABC):
    """Shared shape of the non-contractual models (BG/NBD, Pareto/NBD): fit on (x, t_x, T).

    Subclasses provide the log-likelihood (``_objective``), a starting point, and the two
    per-customer quantities every other prediction here is built from.
    """

    # -- each model supplies these --------------------------------------------------------
    @abstractmethod
    def _objective(self, data: CompressedRFM) -> Objective: ...

    @abstractmethod
    def _default_start(self, data: CompressedRFM) -> dict[str, float]: ...

    @abstractmethod
    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...

    @abstractmethod
    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...

    @abstractmethod
    def expected_purchases_if_alive(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T: the figure
        "if the customer stays" (the conditional expectation without its P(alive) factor)."""

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit by maximum likelihood on per-customer (x, t_x, T); returns ``self``.

        Parameters
        ----------
        frequency, recency, T : array_like
            Repeat purchases x, time of the last purchase t_x and age T, per customer, in one
            time unit (as :func:`tenure.analytics.summary.rfm_summary` returns them).
        weights : array_like, optional
            Number of customers each row stands for (rows are compressed internally anyway).

        Raises
        ------
        InvalidInputError
            For negative, non-finite or inconsistent inputs.
        FitError
            When the data cannot identify the parameters (the message says why).
        """
        data = compress_rfm(frequency, recency, T, weights)
        name = type(self).__name__
        if data.n_customers == 0:
            raise FitError(name, "all weights are 0: there are no customers to fit")
        if not np.any(data.frequency > 0):
            raise FitError(
                name,
                "no customer has a repeat purchase, so the purchase rate and the dropout "
                "process cannot be told apart",
            )
        if not np.any(data.T > 0):
            raise FitError(name, "every customer has T = 0: there is no time observed")
        start = self.initial_params or self._default_start(data)
        theta0 = np.log([float(start[k]) for k in self._param_names])
        warm_up = None
        stride = warm_start_stride(len(data))
        whole = bool(np.all(data.weight == np.floor(data.weight)))
        if stride > 1 and self.initial_params is None and whole:
            # A systematic sample of the customers in the sorted compressed rows: the same
            # sample whatever order the rows came in (fits never depend on row order).
            sample = systematic_sample(data, stride)
            if np.any(sample.frequency > 0):
                warm_up = self._objective(sample)
        fit = maximize(
            self._objective(data),
            np.clip(theta0, -LOG_BOUND + 1, LOG_BOUND - 1),
            n=data.n_customers,
            model=name,
            names=self._param_names,
            warm_up=warm_up,
            max_seconds=self.max_seconds,
            runaway=self._runaway,
        )
        self._store(fit)
        self.n_customers_ = data.n_customers
        self.n_rows_fitted_ = len(data)
        return self

    def score(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> float:
        """Mean log-likelihood per customer at the fitted parameters (scikit-learn's ``score``).

        Compare models, or a fit against held-out customers; multiply by the number of
        customers for the total (``log_likelihood_`` on the training data).
        """
        params = self._check_fitted()
        data = compress_rfm(frequency, recency, T, weights)
        theta = np.log([params[k] for k in self._param_names])
        return -self._objective(data)(theta)[0]

    # -- predictions built on the two model-specific ones ---------------------------------
    def expected_number_of_purchases_up_to_time(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] for a customer just acquired (x = t_x = T = 0)."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, 0, 0, 0)

    def predict_purchases(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units (scikit-learn-style name)."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)

    def predict_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Probability the customer is still active at T (scikit-learn-style name)."""
        return self.conditional_probability_alive(frequency, recency, T)

    def predict_churn_risk(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Churn risk as Klaviyo shows it: ``1 - P(alive)``, in [0, 1]."""
        return 1.0 - self.conditional_probability_alive(frequency, recency, T)

    def predict_time_to_next_purchase(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        quantile: float = 0.5,
    ) -> FloatArray:
        """Time from T to the next purchase *if the customer is alive*, as a quantile.

        Given alive at T, both models leave ``lambda ~ Gamma(r + x, alpha + T)`` (the Poisson
        purchase rate's posterior), so the waiting time is Lomax: ``P(W > w) = ((alpha + T) /
        (alpha + T + w))^(r + x)``. Its mean is infinite when r + x <= 1, so a quantile (the
        median by default) is reported. Add it to the observation end for a date.
        """
        params = self._check_fitted()
        if not 0.0 < quantile < 1.0:
            raise InvalidInputError("quantile", "must be strictly between 0 and 1")
        x, _, age = check_rfm(frequency, recency, T)
        shape = params["r"] + x
        return (params["alpha"] + age) * np.expm1(-np.log1p(-quantile) / shape)
