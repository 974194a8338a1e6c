"""What every estimator shares: maximum likelihood in log-parameter space, standard errors from
the Hessian, and scikit-learn's fitted/unfitted convention (STYLE.md habit 6).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from tenure.analytics.errors import FitError, InvalidInputError, NotFittedError

FloatArray = npt.NDArray[np.float64]
# Mean negative log-likelihood and its gradient, both with respect to log-parameters.
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# Parameters live in log space between these bounds (e^-25 .. e^25): wide enough for any
# sensible data in any time unit, narrow enough that exp() never overflows during the search.
LOG_BOUND = 25.0


@cache
def _blas_controller() -> object | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: see blas_single_thread
        return None
    return ThreadpoolController()


@contextmanager
def blas_single_thread() -> Iterator[None]:
    """Keep BLAS on one thread while optimising, when ``threadpoolctl`` is installed.

    SciPy's L-BFGS-B calls BLAS/LAPACK on matrices of a few dozen entries per iteration;
    OpenBLAS wakes its thread pool for them, which cost 0.5-15 ms per iteration on this 2-core
    machine (25x the work itself, and worst when other processes are busy). One thread does
    those sizes fastest; the likelihood kernels bring their own Numba threads.
    """
    controller = _blas_controller()
    with nullcontext() if controller is None else controller.limit(limits=1, user_api="blas"):  # type: ignore[attr-defined]
        yield


def distinct_counts(
    x: FloatArray, weights: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Distinct whole-number frequencies and their (weighted) counts.

    A bincount over 0..max(x) when that range is modest (no sort: 400k rows in ~2 ms where
    ``np.unique`` sorts for ~25 ms), else ``np.unique``.
    """
    top = float(x.max()) if x.size else 0.0
    if top <= 4 * x.size + 1024:
        counts = np.bincount(x.astype(np.int64), weights=weights).astype(np.float64)
        present = np.flatnonzero(counts)
        return present.astype(np.float64), counts[present]
    xs, inverse = np.unique(x, return_inverse=True)
    return xs, np.bincount(inverse, weights=weights).astype(np.float64)


@dataclass(frozen=True)
class MaximumLikelihood:
    """The outcome of :func:`maximize`: parameters, log-likelihood, covariance and effort."""

    params: FloatArray
    log_likelihood: float
    covariance: FloatArray
    n_evaluations: int


def _hessian(objective: Objective, theta: FloatArray, gradient: FloatArray) -> FloatArray:
    # Forward differences of the analytic gradient: k extra evaluations for k parameters.
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-6 * max(1.0, abs(theta[j]))
        shifted = theta.copy()
        shifted[j] += step
        hess[:, j] = (objective(shifted)[1] - gradient) / step
    return 0.5 * (hess + hess.T)


# Above this many rows a fit first runs on an evenly strided subsample of about this size:
# its optimum is a starting point close enough to halve the evaluations on the full data.
WARM_START_ROWS = 50_000


def warm_start_stride(rows: int) -> int:
    """Stride of the warm-start subsample for ``rows`` rows (1: no warm start)."""
    return rows // WARM_START_ROWS if rows > 2 * WARM_START_ROWS else 1


def maximize(
    objective: Objective,
    theta0: FloatArray,
    *,
    n: float,
    model: str,
    names: tuple[str, ...],
    warm_up: Objective | None = None,
    max_seconds: float | None = None,
    runaway: Callable[[FloatArray], str] | None = None,
) -> MaximumLikelihood:
    """Maximise a log-likelihood over log-parameters with L-BFGS-B, then polish by Newton.

    ``objective`` returns the *mean* negative log-likelihood over ``n`` (weighted) customers and
    its gradient in log-parameters, so tolerances do not depend on the size of the data. A
    Newton step with the finite-difference Hessian of the analytic gradient finishes the search
    (quadratic convergence) and the same Hessian gives the covariance (delta method back to
    natural parameters: ``Cov(p) = diag(p) H^-1 diag(p)``). ``max_seconds`` bounds the
    search: past it a :class:`FitError` says where the search had got to. ``runaway`` names a
    region of the parameters the model cannot come back from (its boundary): the search stops
    there with that reason.
    """
    evaluations = 0
    deadline = math.inf if max_seconds is None else time.perf_counter() + max_seconds

    def counted(theta: FloatArray) -> tuple[float, FloatArray]:
        nonlocal evaluations
        if time.perf_counter() > deadline:
            shown = ", ".join(
                f"{name} = {value:,.4g}" for name, value in zip(names, np.exp(theta), strict=True)
            )
            raise FitError(
                model,
                f"no maximum found within {max_seconds:g} s (the search had reached {shown}); "
                "parameters that grow without end mean the data do not identify the model",
            )
        if runaway is not None and (why := runaway(np.exp(theta))):
            raise FitError(model, why)
        evaluations += 1
        value, grad = objective(theta)
        if not math.isfinite(value) or not np.all(np.isfinite(grad)):
            # Let L-BFGS-B back off; a finite answer at the optimum is checked below.
            return 1e300, np.zeros_like(theta)
        return value, grad

    with blas_single_thread():
        if warm_up is not None:
            rough_objective = warm_up

            def warm_up_in_time(theta: FloatArray) -> tuple[float, FloatArray]:
                if time.perf_counter() > deadline:
                    counted(theta)  # raises the FitError that says where the search was
                return rough_objective(theta)

            rough = minimize(
                warm_up_in_time, theta0, jac=True, method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * theta0.size,
                options={"maxiter": 500, "ftol": 1e-10, "gtol": 1e-5},
            )  # fmt: skip
            if np.all(np.isfinite(rough.x)):
                theta0 = np.clip(rough.x, -LOG_BOUND + 1, LOG_BOUND - 1)
        return _maximize(
            counted, theta0, n=n, model=model, names=names,
            count=lambda: evaluations, newton_first=warm_up is not None,
        )  # fmt: skip


def _newton(
    counted: Objective,
    theta: FloatArray,
    value: float,
    grad: FloatArray,
    hess: FloatArray,
    steps: int,
) -> tuple[FloatArray, float, FloatArray, bool]:
    """Newton steps with a fixed Hessian and step halving; True once a step is below 1e-8.

    A step may raise the mean by rounding noise near the optimum (1e-13 relative is allowed),
    or the search would stall one step short of converging.
    """
    for _ in range(steps):
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return theta, value, grad, False
        if float(grad @ step) < 2e-14 * max(1.0, abs(value)):
            # The predicted gain (the Newton decrement) is below rounding: converged. Step
            # length alone is no test when parameters are strongly correlated (Gamma-Gamma's p
            # and q): there a gradient at noise level still asks for a visible step.
            return theta, value, grad, True
        for _halving in range(4):
            candidate = np.clip(theta - step, -LOG_BOUND, LOG_BOUND)
            cand_value, cand_grad = counted(candidate)
            if cand_value <= value + 1e-13 * abs(value):
                break
            step = step / 2
        else:
            return theta, value, grad, False
        theta, value, grad = candidate, cand_value, cand_grad
        if np.max(np.abs(step)) < 1e-8:
            return theta, value, grad, True
    return theta, value, grad, False


def _maximize(
    counted: Objective,
    theta0: FloatArray,
    *,
    n: float,
    model: str,
    names: tuple[str, ...],
    count: Callable[[], int],
    newton_first: bool,
) -> MaximumLikelihood:
    theta = theta0
    converged = False
    if newton_first:
        # From a warm start near the optimum, Newton with the finite-difference Hessian needs
        # ~1 + k + 4 evaluations where L-BFGS-B needs ~10 before the same polish.
        value, grad = counted(theta)
        if value < 1e300:
            # Two steps with the Hessian of the warm start, then one refreshed near the optimum
            # (quadratic convergence again, and the covariance needs it there anyway).
            hess, hess_at = _hessian(counted, theta, grad), theta
            theta, value, grad, converged = _newton(counted, theta, value, grad, hess, steps=2)
            if not converged:
                hess, hess_at = _hessian(counted, theta, grad), theta
                theta, value, grad, converged = _newton(counted, theta, value, grad, hess, steps=6)
    if not converged:
        result = minimize(
            counted,
            theta,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * theta.size,
            # Stop L-BFGS-B early (gradient of the mean below 1e-6, parameters to ~1e-6) and let
            # Newton finish: tighter L-BFGS-B tolerances spend dozens of evaluations on line
            # searches at rounding-noise level.
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-6, "maxcor": 20},
        )
        theta = np.asarray(result.x, dtype=np.float64)
        value, grad = float(result.fun), np.asarray(result.jac, dtype=np.float64)
        if value >= 1e300:
            raise FitError(model, "the log-likelihood is not finite at any parameter value tried")
        hess, hess_at = _hessian(counted, theta, grad), theta
        # Newton polish: usually one step moves < 1e-6 and the next is exact.
        theta, value, grad, _ = _newton(counted, theta, value, grad, hess, steps=3)
    if np.max(np.abs(theta - hess_at)) > 1e-3:
        hess = _hessian(counted, theta, grad)  # the covariance needs it at the optimum
    at_bound = np.abs(theta) >= LOG_BOUND - 1e-6
    if at_bound.any():
        which = ", ".join(name for name, hit in zip(names, at_bound, strict=True) if hit)
        raise FitError(
            model,
            f"parameter(s) {which} ran off to 0 or infinity: the data do not identify the model "
            "(too few repeat purchases, or no sign of customers dropping out)",
        )
    params = np.exp(theta)
    covariance = _covariance(hess * n, params, model)
    return MaximumLikelihood(
        params=params,
        log_likelihood=-value * n,
        covariance=covariance,
        n_evaluations=count(),
    )


def _covariance(hess_total: FloatArray, params: FloatArray, model: str) -> FloatArray:
    """Covariance of the natural parameters from the Hessian in log-parameters.

    A Hessian that is not clearly positive definite means the likelihood is flat along some
    direction at the optimum: the data do not pin the parameters down, so the fit is refused
    rather than reported with meaningless (infinite) standard errors.
    """
    eigenvalues = np.linalg.eigvalsh(hess_total)
    if not np.all(np.isfinite(eigenvalues)) or eigenvalues.min() <= 1e-9 * abs(eigenvalues).max():
        raise FitError(
            model,
            "the likelihood is flat at its maximum, so the data do not identify the parameters "
            "(too few repeat purchases, or no sign of customers dropping out)",
        )
    return np.linalg.inv(hess_total) * np.outer(params, params)


class Estimator:
    """scikit-learn conventions: settings in ``__init__``, results in ``_``-suffixed attributes."""

    _param_names: tuple[str, ...] = ()
    params_: dict[str, float]
    standard_errors_: dict[str, float]
    covariance_: FloatArray
    log_likelihood_: float
    n_evaluations_: int

    def __init__(
        self,
        *,
        initial_params: dict[str, float] | None = None,
        max_seconds: float | None = None,
    ) -> None:
        # A starting point for the optimiser by parameter name; a previous fit's ``params_``
        # makes a refit on similar data take fewer evaluations.
        self.initial_params = initial_params
        # A bound on the search's time (None: none): Pareto/NBD's series slow down by orders
        # of magnitude as s and beta run off to infinity together.
        self.max_seconds = max_seconds

    @classmethod
    def from_params(cls, **params: float) -> Self:
        """An estimator with known parameters (e.g. stored from an earlier fit), ready to predict.

        Only ``params_`` is set: standard errors and the log-likelihood belong to a fit.
        """
        missing = set(cls._param_names) - set(params)
        extra = set(params) - set(cls._param_names)
        if missing or extra:
            raise InvalidInputError(
                "params", f"{cls.__name__} takes exactly {', '.join(cls._param_names)}"
            )
        for name, value in params.items():
            if not (math.isfinite(value) and value > 0):
                raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")
        model = cls()
        model.params_ = {name: float(params[name]) for name in cls._param_names}
        return model

    def _runaway(self, params: FloatArray) -> str:
        """Why the search should stop at ``params`` (natural scale), or "" to go on."""
        return ""

    def _check_fitted(self) -> dict[str, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError(type(self).__name__)
        return self.params_

    def _store(self, fit: MaximumLikelihood) -> None:
        names = self._param_names
        self.params_ = {name: float(v) for name, v in zip(names, fit.params, strict=True)}
        errors = np.sqrt(np.diag(fit.covariance))
        self.standard_errors_ = {name: float(e) for name, e in zip(names, errors, strict=True)}
        self.covariance_ = fit.covariance
        self.log_likelihood_ = float(fit.log_likelihood)
        self.n_evaluations_ = fit.n_evaluations

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        if hasattr(self, "log_likelihood_"):
            shown += f", log_likelihood={self.log_likelihood_:.2f}"
        return f"{type(self).__name__}({shown})"
