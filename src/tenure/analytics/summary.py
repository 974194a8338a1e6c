"""Transactions -> per-customer frequency, recency, T and monetary value; and their compression.

Semantics are lifetimes' ``summary_data_from_transaction_data`` (and
``calibration_and_holdout_data``), so the output feeds the models directly:

- dates are cut into periods (``freq``: day, week starting Monday, or month) and several
  purchases by one customer in one period count as one purchase, their values summed;
- ``frequency``: repeat purchase periods (the first purchase is not counted);
- ``recency``: time from the first to the last purchase period; ``T``: time from the first
  purchase period to the end of observation, both in periods / ``freq_multiplier``;
- ``monetary_value``: mean value of the repeat purchase periods (0 without a repeat purchase).

Refunds: rows with a negative value are not purchases and are dropped before summarising, so
the spend model sees what customers pay when they buy (net-of-refund revenue is a separate
sum; see :func:`tenure.analytics.metrics.historical_clv`). Zero-value rows (free orders; CDNOW
has some) are purchases. To net a refund against its order, date it on the order's day.

The group-by is one Ibis expression (:func:`summary_expression`), run on DuckDB by default;
pass an ``ibis.Table`` to run it where the data live: on Spark it gives DuckDB's answer
(:mod:`tenure.analytics.engines`; ``tests/analytics/test_spark_parity.py``).
``engine="numba"`` runs a compiled counting-sort pass on in-memory frames instead: identical
results, faster and leaner (10M rows: 1.5 s and +250 MB against DuckDB's 2.6 s and
+670 MB on this 2-core machine; ``benchmarks/clv.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics._frames import (
    columns_from_frame,
    execute_on_duckdb,
    is_ibis_table,
    memtable,
    period_start,
)
from tenure.analytics._validation import as_float_array, check_rfm
from tenure.analytics.errors import InvalidInputError

if TYPE_CHECKING:
    import ibis.expr.types as ir

FloatArray = npt.NDArray[np.float64]
Freq = Literal["D", "W", "M"]
Engine = Literal["ibis", "numba"]

_FREQS = ("D", "W", "M")
EXACT_MONEY = "decimal(38, 6)"  # summary_expression(exact_money=True)
_IBIS_UNIT = {"D": "D", "W": "W", "M": "M"}


def rfm_summary(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    observation_end: Any = None,
    freq: Freq = "D",
    calibration_end: Any = None,
    *,
    freq_multiplier: float = 1,
    engine: Engine = "ibis",
) -> pd.DataFrame:
    """Summarise a transaction log into one row per customer (lifetimes-compatible).

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame or ibis.Table
        One row per order line or order. An ``ibis.Table`` is summarised where it lives.
    customer_col, date_col : str
        Customer id and purchase date/datetime columns. Timezone-aware datetimes are cut into
        periods by their wall-clock date in their own time zone.
    value_col : str, optional
        Order value; adds ``monetary_value``. Negative rows are refunds and are dropped.
    observation_end : date-like, optional
        End of observation (inclusive, by period); later rows are ignored. Default: the last
        date in the data.
    freq : {"D", "W", "M"}
        Period in which purchases are counted and time is measured.
    calibration_end : date-like, optional
        With it, returns the calibration/holdout split: calibration columns ``frequency_cal``,
        ``recency_cal``, ``T_cal``, ``monetary_value_cal`` from periods up to it, and
        ``frequency_holdout`` (purchase periods after it, up to ``observation_end``),
        ``monetary_value_holdout`` (their mean value; lifetimes averages rows instead) and
        ``duration_holdout``, for the customers who bought by ``calibration_end``.
    freq_multiplier : float
        Divide times by it: ``freq="D", freq_multiplier=7`` measures days in weeks (as the
        CDNOW literature does).
    engine : {"ibis", "numba"}
        ``"ibis"`` (default) runs :func:`summary_expression` on DuckDB; ``"numba"`` a compiled
        in-memory pass (pandas or Polars input only).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), float columns.

    Raises
    ------
    InvalidInputError
        Missing columns, empty input, missing or non-finite values, bad dates or arguments.
    """
    check_periods(freq, freq_multiplier)
    if engine not in ("ibis", "numba"):
        raise InvalidInputError("engine", f"must be 'ibis' or 'numba', got {engine!r}")
    if is_ibis_table(transactions):
        if engine != "ibis":
            raise InvalidInputError("engine", "an ibis.Table is summarised by its own backend")
        return _from_ibis(
            transactions,
            customer_col,
            date_col,
            value_col,
            observation_end,
            freq,
            calibration_end,
            freq_multiplier,
        )
    columns = columns_from_frame(transactions, customer_col, date_col, value_col)
    end = period_start(observation_end, freq, "observation_end", columns.tz)
    if end is None:
        end = period_start(columns.dates.max(), freq, "observation_end", None)
    cal = period_start(calibration_end, freq, "calibration_end", columns.tz)
    _check_calibration(cal, end)
    assert end is not None
    if engine == "numba":
        from tenure.analytics._summary_numba import numba_summary

        result = numba_summary(columns, end, freq, cal, freq_multiplier)
        return _finish(result, customer_col, cal, end, freq, freq_multiplier)
    expr = summary_expression(
        memtable(columns),
        "customer",
        "date",
        "value" if columns.values is not None else None,
        observation_end=end,
        freq=freq,
        calibration_end=cal,
        freq_multiplier=freq_multiplier,
    )
    return _finish(execute_on_duckdb(expr), customer_col, cal, end, freq, freq_multiplier)


def summary_expression(
    table: ir.Table,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    observation_end: dt.date,
    freq: Freq = "D",
    calibration_end: dt.date | None = None,
    freq_multiplier: float = 1,
    exact_money: bool = False,
) -> ir.Table:
    """The summary as one Ibis expression, for DuckDB or any other Ibis backend.

    Group by customer and period (summing values), then by customer; the first period's value
    comes from ``argmin`` by period. ``observation_end`` and ``calibration_end`` are period
    starts (as :func:`rfm_summary` computes them). Columns as :func:`rfm_summary` returns,
    with the customer id in ``customer_col``, ordered by it.

    ``exact_money`` sums the values as decimals of 6 places (each value rounded to them first)
    instead of floats, and adds ``repeat_spend``, the exact sum of the repeat purchase periods:
    float sums depend on the order an engine adds them in (DuckDB's threads, Spark's
    partitions), exact ones do not, so the same customers get the same bits on every run and
    engine (:mod:`tenure.analytics.sufficient` groups customers by it).
    """
    import ibis

    end = ibis.literal(observation_end, type="date")
    cal = end if calibration_end is None else ibis.literal(calibration_end, type="date")
    period = table[date_col].truncate(_IBIS_UNIT[freq]).cast("date")
    kind = EXACT_MONEY if exact_money else "float64"
    value = table[value_col].cast(kind) if value_col else ibis.literal(0.0, type="float64")
    rows = table.select(customer=table[customer_col], period=period, value=value)
    if value_col:
        rows = rows.filter(rows.value >= 0)  # refunds are not purchases (module docstring)
    rows = rows.filter(rows.period <= end)
    per = rows.group_by(["customer", "period"]).aggregate(value=rows.value.sum())
    in_cal = None if calibration_end is None else per.period <= cal
    stats: dict[str, Any] = {
        "first": per.period.min(where=in_cal),
        "last": per.period.max(where=in_cal),
        "n": per.count(where=in_cal),
        "total": per.value.sum(where=in_cal),
        "first_value": per.value.argmin(per.period, where=in_cal),
    }
    if in_cal is not None:
        stats["n_hold"] = per.count(where=~in_cal)
        stats["hold_total"] = per.value.sum(where=~in_cal)
    if _has_min_by(table):  # DuckDB's FIRST(... ORDER BY) costs 2x its arg_min on 10M rows
        stats["first_value"] = _min_by(kind if value_col else "float64")(
            per.value, per.period, where=in_cal
        )
    agg = per.group_by("customer").aggregate(**stats)
    agg = agg.filter(agg.n > 0)

    def span(later: Any, earlier: Any) -> Any:
        if freq == "M":
            return later.delta(earlier, unit="month") / freq_multiplier
        days = later.delta(earlier, unit="day")
        return days / (7 * freq_multiplier) if freq == "W" else days / freq_multiplier

    suffix = "" if calibration_end is None else "_cal"
    columns: dict[str, Any] = {
        customer_col: agg.customer,
        "frequency" + suffix: (agg.n - 1).cast("float64"),
        "recency" + suffix: span(agg["last"], agg["first"]).cast("float64"),
        "T" + suffix: span(cal, agg["first"]).cast("float64"),
    }
    if value_col:
        repeat = agg.total - agg.first_value  # exact when the sums are
        columns["monetary_value" + suffix] = ibis.ifelse(
            agg.n > 1, repeat.cast("float64") / (agg.n - 1), 0.0
        )
        if exact_money:
            columns["repeat_spend" + suffix] = repeat
    if calibration_end is not None:
        columns["frequency_holdout"] = agg.n_hold.cast("float64")
        if value_col:
            columns["monetary_value_holdout"] = ibis.ifelse(
                agg.n_hold > 0, agg.hold_total.cast("float64") / agg.n_hold, 0.0
            )
    return agg.select(**columns).order_by(customer_col)


_MIN_BY_BACKENDS = frozenset({"duckdb", "pyspark", "databricks", "snowflake", "trino"})


def _has_min_by(table: ir.Table) -> bool:
    import ibis

    try:
        return ibis.get_backend(table).name in _MIN_BY_BACKENDS
    except Exception:  # an unbound table: no backend to ask, stay portable
        return False


@cache
def _min_by(kind: str = "float64") -> Any:
    """SQL's ``min_by(value, key)`` (DuckDB's arg_min, Spark's min_by) as an Ibis builtin, for
    values of type ``kind``."""
    import ibis
    import ibis.expr.datatypes as dtypes

    value = dtypes.dtype(kind)
    signature = ((value, dtypes.date), value)

    @ibis.udf.agg.builtin(name="min_by", signature=signature)
    def min_by(arg, key):
        """The value at the smallest key (compiled to the backend's own function)."""

    return min_by


def check_periods(freq: Any, freq_multiplier: float) -> None:
    """``freq`` one of D, W, M and ``freq_multiplier`` a finite number > 0."""
    if freq not in _FREQS:
        raise InvalidInputError("freq", f"must be one of D, W, M, got {freq!r}")
    if not (np.isfinite(freq_multiplier) and freq_multiplier > 0):
        raise InvalidInputError("freq_multiplier", "must be a finite number > 0")


def _check_calibration(cal: dt.date | None, end: dt.date | None) -> None:
    if cal is not None and end is not None and cal >= end:
        raise InvalidInputError(
            "calibration_end", "must fall in a period before observation_end (no holdout left)"
        )


def _span(later: dt.date, earlier: dt.date, freq: Freq) -> float:
    if freq == "M":
        return float((later.year - earlier.year) * 12 + later.month - earlier.month)
    days = float((later - earlier).days)
    return days / 7 if freq == "W" else days


def _finish(
    result: pd.DataFrame,
    customer_col: str,
    cal: dt.date | None,
    end: dt.date,
    freq: Freq,
    freq_multiplier: float,
) -> pd.DataFrame:
    if result.empty:
        raise InvalidInputError(
            "calibration_end" if cal is not None else "observation_end",
            "no customer bought on or before it: the summary would be empty",
        )
    result = result.rename(columns={"customer": customer_col}).set_index(customer_col)
    if cal is not None:
        result["duration_holdout"] = _span(end, cal, freq) / freq_multiplier
    return result.astype(np.float64)


def checked_summary_expression(
    table: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    *,
    observation_end: Any = None,
    freq: Freq = "D",
    calibration_end: Any = None,
    freq_multiplier: float = 1,
    exact_money: bool = False,
) -> tuple[ir.Table, dt.date | None, dt.date]:
    """The summary's expression on an Ibis table after :func:`rfm_summary`'s checks (one
    aggregate row read: rows, missing values, last date), with the calibration and
    observation ends as period starts."""
    check_periods(freq, freq_multiplier)
    for col in (customer_col, date_col, value_col):
        if col is not None and col not in table.columns:
            raise InvalidInputError(col, "is not a column of transactions")
    missing = table[customer_col].isnull() | table[date_col].isnull()
    if value_col is not None:
        missing = missing | table[value_col].isnull()
    checks = table.aggregate(rows=table.count(), missing=missing.sum(), last=table[date_col].max())
    rows, n_missing, last = checks.to_pandas().iloc[0]
    if rows == 0:
        raise InvalidInputError("transactions", "is empty: there are no purchases to summarise")
    if n_missing:
        raise InvalidInputError(
            "transactions", f"has {n_missing} rows with a missing id, date or value"
        )
    end = period_start(
        observation_end if observation_end is not None else last, freq, "observation_end", None
    )
    cal = period_start(calibration_end, freq, "calibration_end", None)
    _check_calibration(cal, end)
    assert end is not None
    expr = summary_expression(
        table,
        customer_col,
        date_col,
        value_col,
        observation_end=end,
        freq=freq,
        calibration_end=cal,
        freq_multiplier=freq_multiplier,
        exact_money=exact_money,
    )
    return expr, cal, end


def _from_ibis(
    table: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    observation_end: Any,
    freq: Freq,
    calibration_end: Any,
    freq_multiplier: float,
) -> pd.DataFrame:
    expr, cal, end = checked_summary_expression(
        table,
        customer_col,
        date_col,
        value_col,
        observation_end=observation_end,
        freq=freq,
        calibration_end=calibration_end,
        freq_multiplier=freq_multiplier,
    )
    result = expr.to_pyarrow().to_pandas().rename(columns={customer_col: "customer"})
    return _finish(result, customer_col, cal, end, freq, freq_multiplier)


@dataclass(frozen=True)
class CompressedRFM:
    """Distinct (frequency, recency, T) rows with the number of customers (weight) in each."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    weight: FloatArray

    @property
    def n_customers(self) -> float:
        return float(self.weight.sum())

    def __len__(self) -> int:
        return int(self.frequency.size)


def compress_rfm(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> CompressedRFM:
    """Collapse identical (x, t_x, T) rows into one row with a weight.

    The BG/NBD and Pareto/NBD likelihoods depend on a customer only through (x, t_x, T), so
    customers with the same triple contribute identical terms. Customers without repeat
    purchases differ only by T and collapse the most; on a daily or weekly grid nearly all rows
    do (PERFORMANCE.md: 3.7M customers became 82k weekly rows). Rows come back sorted by
    (frequency, recency, T), so everything computed from them (sums in a fixed order, a warm
    start's sample) is the same whatever order the customers came in; zero-weight rows are
    dropped.
    """
    from tenure.analytics._summary_numba import unique_rows

    x, t_x, age = check_rfm(frequency, recency, T)
    if weights is None:
        w = np.ones(x.size)
    else:
        w = np.ascontiguousarray(
            np.broadcast_to(as_float_array(weights, "weights"), x.shape), dtype=np.float64
        )
    # + 0.0 turns -0.0 into 0.0 so equal values have equal bits for the hash.
    first, total = unique_rows(x + 0.0, t_x + 0.0, age + 0.0, w)
    keep = total > 0
    rows, weight = first[keep], total[keep]
    order = np.lexsort((age[rows], t_x[rows], x[rows]))
    rows, weight = rows[order], weight[order]
    return CompressedRFM(frequency=x[rows], recency=t_x[rows], T=age[rows], weight=weight)


def systematic_sample(data: CompressedRFM, stride: int) -> CompressedRFM:
    """Every ``stride``-th customer of the (sorted) compressed rows, as compressed rows.

    Customer k of the sorted order is taken when k is a multiple of ``stride``: row i keeps
    ``floor(C_i / stride) - floor(C_{i-1} / stride)`` of its customers (C: cumulative weight). A
    sample spread evenly over every (x, t_x, T), and the same for any order of the input rows.
    Weights must be whole numbers (customers).
    """
    cumulative = np.cumsum(data.weight)
    taken = np.diff(np.floor(cumulative / stride), prepend=0.0)
    keep = taken > 0
    return CompressedRFM(
        frequency=data.frequency[keep],
        recency=data.recency[keep],
        T=data.T[keep],
        weight=taken[keep],
    )
