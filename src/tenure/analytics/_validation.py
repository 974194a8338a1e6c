"""Input checks shared by the metrics, the summary and the models.

Every check raises :class:`~tenure.analytics.errors.InvalidInputError` naming the input and the
first offending row, so bad data never turns into a silent NaN further down.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import numpy.typing as npt

from tenure.analytics.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]


def _first_bad(mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    flat = np.ravel(mask)
    return int(flat.sum()), int(np.argmax(flat))


def as_float_array(values: npt.ArrayLike, name: str, *, minimum: float | None = 0.0) -> FloatArray:
    """Return ``values`` as a float64 array after checking they are finite (and >= ``minimum``)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, f"must be numbers ({exc})") from None
    bad = ~np.isfinite(array)
    if bad.any():
        count, first = _first_bad(bad)
        raise InvalidInputError(
            name, "must be finite (no NaN, no infinity)", count=count, example=first
        )
    if minimum is not None:
        low = array < minimum
        if low.any():
            count, first = _first_bad(low)
            raise InvalidInputError(name, f"must be >= {minimum:g}", count=count, example=first)
    return array


def check_whole(array: FloatArray, name: str) -> None:
    """Raise unless every value is a whole number (counts such as the frequency)."""
    bad = array != np.floor(array)
    if bad.any():
        count, first = _first_bad(bad)
        raise InvalidInputError(name, "must be whole numbers (a count)", count=count, example=first)


def check_rfm(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast the (x, t_x, T) sufficient statistics of the customer-base models.

    Rules (lifetimes' conventions): finite, non-negative; ``frequency`` a whole number of repeat
    purchases; ``recency <= T``; ``recency == 0`` when ``frequency == 0``; at least one customer.
    Recency may exceed T by float rounding (1e-9 relative); it is then set to T.
    """
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    age = as_float_array(T, "T")
    try:
        x, t_x, age = (np.ascontiguousarray(a) for a in np.broadcast_arrays(x, t_x, age))
    except ValueError:
        raise InvalidInputError(
            "frequency, recency, T", "must have the same length (one value per customer)"
        ) from None
    x, t_x, age = np.atleast_1d(x), np.atleast_1d(t_x), np.atleast_1d(age)
    if x.size == 0:
        raise InvalidInputError("frequency", "is empty: there are no customers to work on")
    check_whole(x, "frequency")
    over = t_x > age * (1 + 1e-9) + 1e-12
    if over.any():
        count, first = _first_bad(over)
        raise InvalidInputError(
            "recency",
            "is greater than T (the last purchase after the end of observation)",
            count=count,
            example=first,
        )
    lonely = (x == 0) & (t_x != 0)
    if lonely.any():
        count, first = _first_bad(lonely)
        raise InvalidInputError(
            "recency",
            "must be 0 for customers with frequency 0 (no repeat purchase)",
            count=count,
            example=first,
        )
    return x, np.minimum(t_x, age), age


def check_count(value: object, name: str, *, positive: bool = False) -> float:
    """Return a whole, non-negative number of customers/orders as float, or raise."""
    number = check_amount(value, name)
    if not number.is_integer():
        raise InvalidInputError(name, f"must be a whole number (a count), got {value!r}")
    if positive and number == 0:
        raise InvalidInputError(name, "is 0: the rate is undefined without anyone to count")
    return number


def check_amount(value: object, name: str) -> float:
    """Return a finite, non-negative real number as float, or raise."""
    if isinstance(value, bool) or not isinstance(value, Real | np.number):
        raise InvalidInputError(name, f"must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInputError(name, f"must be finite, got {value!r}")
    if number < 0:
        raise InvalidInputError(name, f"must be >= 0, got {value!r}")
    return number
