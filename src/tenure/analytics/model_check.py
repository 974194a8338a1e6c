"""The classic check of a fitted BG/NBD: expected against actual customers by repeat purchases.

Fader, Hardie & Lee (2005), Figure 1: for each customer of age T the model gives the probability
of x repeat purchases in (0, T] (eq. 8); summed over customers it is the expected number of
customers with x = 0, 1, ..., and ``top`` or more, to set beside the actual counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaln
from scipy.stats import nbinom

from tenure.analytics._validation import as_float_array, check_whole
from tenure.analytics.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]


def bgnbd_frequency_probability(
    x: npt.ArrayLike, t: npt.ArrayLike, *, r: float, alpha: float, a: float, b: float
) -> FloatArray:
    """P(X(t) = x | r, alpha, a, b): eq. (8) of Fader, Hardie & Lee (2005).

    ``B(a, b+x)/B(a, b) NB(x; r, alpha/(alpha+t)) + [x > 0] B(a+1, b+x-1)/B(a, b)
    P(NB >= x)``, the negative-binomial terms from SciPy (numerically stable for large x, t).
    """
    for name, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b)):
        if not (np.isfinite(value) and value > 0):
            raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")
    xs = as_float_array(x, "x")
    check_whole(xs, "x")
    ts = as_float_array(t, "t")
    xs, ts = np.broadcast_arrays(xs, ts)
    p = alpha / (alpha + ts)
    log_b = betaln(a, b)
    stays = np.exp(betaln(a, b + xs) - log_b) * nbinom.pmf(xs, r, p)
    # For x = 0 the second term is absent; b + x - 1 > 0 is only needed where it is used.
    safe_b = np.where(xs > 0, b + xs - 1, 1.0)
    drops = np.exp(betaln(a + 1, safe_b) - log_b) * nbinom.sf(xs - 1, r, p)
    return np.asarray(np.clip(stays + np.where(xs > 0, drops, 0.0), 0.0, 1.0))


@dataclass(frozen=True)
class FrequencyCheck:
    """Customers by repeat purchases, 0 .. ``top`` (the last row is "``top`` or more")."""

    frequency: list[int]
    actual: list[int]
    expected: list[float]
    top: int


def bgnbd_frequency_check(
    frequency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    top: int = 7,
) -> FrequencyCheck:
    """Actual and expected number of customers with x = 0 .. top-1 and >= top repeat purchases.

    Ages are compressed to their distinct values first (a daily summary has a few thousand).
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidInputError("top", "must be a whole number >= 1")
    x = as_float_array(frequency, "frequency")
    check_whole(x, "frequency")
    ages = as_float_array(T, "T")
    if x.shape != ages.shape or x.ndim != 1 or x.size == 0:
        raise InvalidInputError("frequency, T", "must be non-empty, one value per customer")
    distinct, weight = np.unique(ages, return_counts=True)
    rows = np.arange(top, dtype=np.float64)
    probability = bgnbd_frequency_probability(
        rows[:, None], distinct[None, :], r=r, alpha=alpha, a=a, b=b
    )
    expected = probability @ weight.astype(np.float64)
    expected = np.append(expected, max(float(x.size) - float(expected.sum()), 0.0))
    actual = np.bincount(np.minimum(x, top).astype(np.int64), minlength=top + 1)
    return FrequencyCheck(
        frequency=list(range(top + 1)),
        actual=[int(v) for v in actual],
        expected=[float(v) for v in expected],
        top=top,
    )
