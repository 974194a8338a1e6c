"""Transaction frames in, checked NumPy columns and Ibis tables out (shared by the summary and
the cohort tables). pandas and Polars frames are accepted; timezone-aware datetimes become their
wall-clock time in their own zone, so periods follow the business's calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.analytics._validation import FloatArray, as_float_array
from tenure.analytics.errors import InvalidInputError

# Period start for each freq: pandas' period of the same name ("W" = weeks ending Sunday, so
# starting Monday, as DuckDB's and Spark's date_trunc('week')).
PANDAS_PERIOD = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC"}


@dataclass(frozen=True)
class Columns:
    customers: np.ndarray
    dates: np.ndarray  # datetime64, naive wall-clock time
    values: FloatArray | None
    tz: str | None


def is_ibis_table(obj: object) -> bool:
    return type(obj).__module__.startswith("ibis.") and hasattr(obj, "group_by")


def columns_from_frame(
    frame: Any, customer_col: str, date_col: str, value_col: str | None
) -> Columns:
    """Pull the three columns out of a pandas or Polars frame as checked NumPy arrays."""
    is_polars = type(frame).__module__.startswith("polars")
    if not (is_polars or isinstance(frame, pd.DataFrame)):
        raise InvalidInputError(
            "transactions", "must be a pandas or Polars DataFrame, or an ibis.Table"
        )
    for col in (customer_col, date_col, value_col):
        if col is not None and col not in frame.columns:
            raise InvalidInputError(col, "is not a column of transactions")
    if len(frame) == 0:
        raise InvalidInputError("transactions", "is empty: there are no purchases to summarise")
    if is_polars:
        customers = frame.get_column(customer_col)
        if customers.null_count():
            raise InvalidInputError(customer_col, "has missing customer ids")
        dates, tz = _polars_dates(frame.get_column(date_col))
        customers = customers.to_numpy()
        raw_values = None if value_col is None else frame.get_column(value_col).to_numpy()
    else:
        customers = frame[customer_col].to_numpy()
        if pd.isna(frame[customer_col]).any():
            raise InvalidInputError(customer_col, "has missing customer ids")
        dates, tz = _pandas_dates(frame[date_col])
        raw_values = None if value_col is None else frame[value_col].to_numpy()
    missing = np.isnat(dates)
    if missing.any():
        raise InvalidInputError(
            date_col, "has missing dates", count=int(missing.sum()), example=int(np.argmax(missing))
        )
    values = None
    if value_col is not None:
        values = as_float_array(
            pd.to_numeric(pd.Series(raw_values), errors="coerce").to_numpy(np.float64),
            value_col,
            minimum=None,
        )
    return Columns(customers=customers, dates=dates, values=values, tz=tz)


def _pandas_dates(series: pd.Series) -> tuple[np.ndarray, str | None]:
    if not pd.api.types.is_datetime64_any_dtype(series):
        try:
            series = pd.to_datetime(series)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(str(series.name), f"must hold dates ({exc})") from None
    tz = None
    if series.dt.tz is not None:
        tz = str(series.dt.tz)
        series = series.dt.tz_localize(None)  # wall-clock time in its own zone
    return series.to_numpy(), tz


def _polars_dates(series: Any) -> tuple[np.ndarray, str | None]:
    if not series.dtype.is_temporal():
        return _pandas_dates(pd.Series(series.to_numpy(), name=series.name))
    tz = getattr(series.dtype, "time_zone", None)
    if tz is not None:
        series = series.dt.replace_time_zone(None)
    return series.to_numpy(), tz


def period_start(value: Any, freq: str, name: str, tz: str | None) -> dt.date | None:
    """The start of the period holding ``value`` (a date-like), as a date."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, f"must be a date ({exc})") from None
    if pd.isna(stamp):
        raise InvalidInputError(name, "must be a date, not missing")
    if stamp.tzinfo is not None:
        stamp = (stamp.tz_convert(tz) if tz else stamp).tz_localize(None)
    start: dt.date = stamp.to_period(PANDAS_PERIOD[freq]).start_time.date()
    return start


def arrow_table(data: dict[str, np.ndarray]) -> Any:
    import pyarrow as pa

    return pa.table(data)


def memtable(columns: Columns) -> Any:
    """The columns as an in-memory Ibis table: ``customer``, ``date`` (and ``value``)."""
    import ibis

    data = {"customer": columns.customers, "date": columns.dates}
    if columns.values is not None:
        data["value"] = columns.values
    return ibis.memtable(arrow_table(data))


def execute_on_duckdb(expr: Any) -> pd.DataFrame:
    """Run an expression over a memtable on a fresh DuckDB connection (one per call: DuckDB
    connections are not shared between threads, and the cost is a few milliseconds)."""
    import ibis

    con = ibis.duckdb.connect()
    try:
        return con.to_pyarrow(expr).to_pandas()
    finally:
        con.disconnect()
