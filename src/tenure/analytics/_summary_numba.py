"""The compiled path of :func:`tenure.analytics.summary.rfm_summary` (``engine="numba"``).

No comparison sort of the rows: customers are integer keys (the ids themselves when they are
integers in a compact range, else codes from a hash factorisation), rows are bucketed by a
counting sort that also cuts dates into periods and drops rows outside the rules, and one
parallel pass per customer sorts their few rows by period (insertion sort: orders mostly arrive
in date order), merges rows of one period and emits the statistics. Same numbers as the Ibis
expression; the tests hold the two together.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from tenure.analytics._frames import Columns

Freq = str  # "D", "W" or "M", checked by rfm_summary

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@njit(cache=True)
def _mix(h: np.uint64, v: np.uint64) -> np.uint64:
    # splitmix64's finaliser over the running hash: cheap and well spread for float bits.
    h = (h ^ v) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    return h ^ (h >> np.uint64(29))


@njit(cache=True)
def unique_rows(
    a: FloatArray, b: FloatArray, c: FloatArray, w: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Distinct (a, b, c) triples in order of first appearance, with summed weights ``w``.

    One pass through an open-addressing hash table (linear probing, load <= 1/2): O(n) where
    sorting three keys costs O(n log n); 1M rows take tens of milliseconds. Values must be
    finite and not -0.0 (callers add 0.0 to fold -0.0 into 0.0).
    """
    n = a.size
    size = 1
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.full(size, -1, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    total = np.empty(n)
    ab = a.view(np.uint64)
    bb = b.view(np.uint64)
    cb = c.view(np.uint64)
    k = 0
    for i in range(n):
        slot = _mix(_mix(_mix(np.uint64(0), ab[i]), bb[i]), cb[i]) & mask
        while True:
            j = table[slot]
            if j < 0:
                table[slot] = k
                first[k] = i
                total[k] = w[i]
                k += 1
                break
            r = first[j]
            if a[r] == a[i] and b[r] == b[i] and c[r] == c[i]:
                total[j] += w[i]
                break
            slot = (slot + np.uint64(1)) & mask
    return first[:k], total[:k]


@njit(cache=True)
def _period(stamp: int, divisor: int, weekly: bool) -> int:
    day = stamp // divisor  # floor division: dates before 1970 stay in the right period
    # 1970-01-01 was a Thursday: shifting by 3 days puts week boundaries on Mondays.
    return (day + 3) // 7 if weekly else day


@njit(cache=True)
def _bucket(
    keys: IntArray,
    offset: int,
    n_keys: int,
    stamps: IntArray,
    divisor: int,
    weekly: bool,
    values: FloatArray,
    has_values: bool,
    end: int,
) -> tuple[IntArray, IntArray, npt.NDArray[np.int32], FloatArray]:
    """Counting sort of the kept rows by customer key.

    A row is kept when its period is <= ``end`` and, with values, its value is >= 0 (refunds
    are not purchases). Returns the keys present (ascending), ``starts`` (customer j's rows are
    ``starts[j]:starts[j+1]``) and the rows' periods and values in that order.
    """
    index = np.zeros(n_keys, dtype=np.int32)
    for i in range(keys.size):
        if _period(stamps[i], divisor, weekly) <= end and (not has_values or values[i] >= 0):
            index[keys[i] - offset] += 1
    n_present = 0
    for k in range(n_keys):
        if index[k] > 0:
            n_present += 1
    present = np.empty(n_present, dtype=np.int64)
    starts = np.zeros(n_present + 1, dtype=np.int64)
    j = 0
    for k in range(n_keys):  # turn counts into the compact index of each present key
        if index[k] > 0:
            present[j] = k + offset
            starts[j + 1] = starts[j] + index[k]
            index[k] = j
            j += 1
    fill = starts[:-1].copy()
    periods = np.empty(starts[-1], dtype=np.int32)
    ordered = np.zeros(starts[-1])
    for i in range(keys.size):
        p = _period(stamps[i], divisor, weekly)
        if p <= end and (not has_values or values[i] >= 0):
            j = index[keys[i] - offset]
            periods[fill[j]] = p
            if has_values:
                ordered[fill[j]] = values[i]
            fill[j] += 1
    return present, starts, periods, ordered


@njit(parallel=True, cache=True)
def _per_customer(
    starts: IntArray,
    periods: npt.NDArray[np.int32],
    values: FloatArray,
    calibration_end: int,
) -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, FloatArray]:
    """Per customer: first and last calibration period, number of distinct calibration
    periods, value of the repeat (non-first) calibration periods, and number and value of
    the holdout periods (after ``calibration_end``). Sorts each customer's rows in place.
    """
    n = starts.size - 1
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    repeat_value = np.zeros(n)
    hold_count = np.zeros(n, dtype=np.int64)
    hold_value = np.zeros(n)
    for c in prange(n):
        lo = starts[c]
        hi = starts[c + 1]
        for i in range(lo + 1, hi):  # insertion sort by period, carrying the value
            p = periods[i]
            v = values[i]
            j = i - 1
            while j >= lo and periods[j] > p:
                periods[j + 1] = periods[j]
                values[j + 1] = values[j]
                j -= 1
            periods[j + 1] = p
            values[j + 1] = v
        first[c] = periods[lo]
        for i in range(lo, hi):
            p = periods[i]
            new_period = i == lo or p != periods[i - 1]
            if p <= calibration_end:
                if new_period:
                    count[c] += 1
                if count[c] > 1:  # the first period's value is not a repeat purchase's
                    repeat_value[c] += values[i]
                last[c] = p
            else:
                if new_period:
                    hold_count[c] += 1
                hold_value[c] += values[i]
    return first, last, count, repeat_value, hold_count, hold_value


def summarise(
    keys: IntArray,
    offset: int,
    n_keys: int,
    stamps: IntArray,
    divisor: int,
    weekly: bool,
    values: FloatArray | None,
    end: int,
    calibration_end: int,
) -> tuple[IntArray, tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, FloatArray]]:
    """Bucket the rows, then summarise each customer; returns the keys present and the
    arrays of :func:`_per_customer`. ``stamps // divisor`` are days (or months, divisor 1)."""
    has_values = values is not None
    present, starts, periods, ordered = _bucket(
        keys, offset, n_keys, stamps, divisor, weekly,
        values if values is not None else np.zeros(1), has_values, end,
    )  # fmt: skip
    return present, _per_customer(starts, periods, ordered, calibration_end)


def period_numbers(dates: np.ndarray, freq: Freq) -> npt.NDArray[np.int64]:
    """Integer period index: days since 1970-01-01, Monday-weeks, or months since 1970-01."""
    if freq == "M":
        return dates.astype("datetime64[M]").astype(np.int64)
    days = dates.astype("datetime64[D]").astype(np.int64)
    return (days + 3) // 7 if freq == "W" else days


_TICKS_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000}
_TICKS_PER_DAY["ns"] = 86_400_000_000_000


def _customer_keys(customers: np.ndarray) -> tuple[np.ndarray, int, int, np.ndarray | None]:
    """Integer keys for the customers: the ids themselves when they are integers in a compact
    range (no hashing, and sorted order for free), else codes of a sorted factorisation.
    Returns ``(keys, offset, n_keys, uniques or None)``."""
    if customers.dtype.kind in "iu" and customers.size:
        low, high = int(customers.min()), int(customers.max())
        if high - low < 4 * customers.size + 1024:  # an index of 4 bytes per key: <= 16 B/row
            return customers.astype(np.int64, copy=False), low, high - low + 1, None
    codes, uniques = pd.factorize(customers, sort=True)
    return codes.astype(np.int64, copy=False), 0, len(uniques), np.asarray(uniques)


def numba_summary(
    columns: Columns,
    end: dt.date,
    freq: Freq,
    cal: dt.date | None,
    freq_multiplier: float,
) -> pd.DataFrame:
    """The summary's columns from the compiled pass, before :func:`summary._finish`."""

    def number(day: dt.date) -> int:
        return int(period_numbers(np.array([np.datetime64(day, "D")]), freq)[0])

    if freq == "M":
        stamps, divisor = period_numbers(columns.dates, freq), 1
    else:
        unit, step = np.datetime_data(columns.dates.dtype)
        stamps, divisor = columns.dates.view(np.int64), _TICKS_PER_DAY[unit] // step
    keys, offset, n_keys, uniques = _customer_keys(columns.customers)
    observed = number(cal if cal is not None else end)
    present, stats = summarise(
        keys, offset, n_keys, stamps, divisor, freq == "W", columns.values, number(end), observed
    )
    first, last, count, repeat_value, hold_count, hold_value = stats
    keep = count > 0  # customers whose first purchase is after calibration_end drop out
    ids = present if uniques is None else uniques[present]
    suffix = "" if cal is None else "_cal"
    frequency = (count - 1)[keep].astype(np.float64)
    result = pd.DataFrame(
        {
            "customer": ids[keep],
            "frequency" + suffix: frequency,
            "recency" + suffix: (last - first)[keep] / freq_multiplier,
            "T" + suffix: (observed - first)[keep] / freq_multiplier,
        }
    )
    if columns.values is not None:
        result["monetary_value" + suffix] = repeat_value[keep] / np.maximum(frequency, 1.0)
    if cal is not None:
        held = hold_count[keep]
        result["frequency_holdout"] = held.astype(np.float64)
        if columns.values is not None:
            result["monetary_value_holdout"] = hold_value[keep] / np.maximum(held, 1)
    return result
