"""PostHog-style lifecycle buckets: per period, who is new, returning, resurrecting or dormant.

For each period (day, week, month or quarter) and each customer, by their purchases (the rows
with a value >= 0 when a value column is given: refunds are not purchases, as in
:mod:`tenure.analytics.cohorts`):

- **new**: their first purchase ever is in this period;
- **returning**: they bought in this period and in the one before;
- **resurrecting**: they bought in this period, not in the one before, but in some earlier one;
- **dormant**: they bought in the period before and not in this one. Counted negative, as
  PostHog's lifecycle chart draws it below the axis.

So ``new + returning + resurrecting`` is the period's buyers, and ``returning - dormant``
(dormant being negative, ``returning + |dormant|``) is the previous period's buyers. This
follows PostHog's lifecycle insight (``posthog/hogql_queries/insights/lifecycle_query_runner``),
except that *new* means the first purchase rather than the person's creation.

The classification uses the whole history, so the first period shown still knows who bought
before it. Written as one Ibis expression (DuckDB by default, the data's own backend for an
``ibis.Table``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pandas as pd

from tenure.analytics._frames import (
    columns_from_frame,
    execute_on_duckdb,
    is_ibis_table,
    memtable,
    period_start,
)
from tenure.analytics.errors import InvalidInputError

Period = Literal["day", "week", "month", "quarter"]
_FREQ = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
_EPOCH = dt.date(1970, 1, 1)
BUCKETS = ("new", "returning", "resurrecting", "dormant")


def _index(start: Any, period: Period) -> Any:
    """A period start (Ibis date) -> consecutive integers: period k + 1 follows period k."""
    import ibis

    if period in ("day", "week"):
        days = start.delta(ibis.date(_EPOCH), unit="day")
        # 1970-01-01 was a Thursday: +3 makes Monday-started weeks whole multiples of 7.
        return days if period == "day" else (days + 3) // 7
    if period == "month":
        return start.year() * 12 + start.month() - 1
    return start.year() * 4 + (start.month() - 1) // 3


def _index_of(day: dt.date, period: Period) -> int:
    days = (day - _EPOCH).days
    if period == "day":
        return days
    if period == "week":
        return (days + 3) // 7
    if period == "month":
        return day.year * 12 + day.month - 1
    return day.year * 4 + (day.month - 1) // 3


def _start_of(index: int, period: Period) -> dt.date:
    if period == "day":
        return _EPOCH + dt.timedelta(days=index)
    if period == "week":
        return _EPOCH + dt.timedelta(days=7 * index - 3)
    if period == "month":
        return dt.date(index // 12, index % 12 + 1, 1)
    return dt.date(index // 4, 3 * (index % 4) + 1, 1)


def buckets_expression(
    table: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    period: Period = "month",
    end: int,
) -> Any:
    """Sparse counts as one Ibis expression: ``period`` (index), ``bucket``, ``customers``.

    ``end`` is the index of the last period counted; purchases after it are ignored and
    dormant customers are not carried past it.
    """
    import ibis

    if value_col:  # refunds are not purchases
        table = table.filter(table[value_col].cast("float64") >= 0)
    start = table[date_col].truncate(_FREQ[period]).cast("date")
    rows = table.select(customer=table[customer_col], start=start)
    rows = rows.mutate(period=_index(rows.start, period))
    rows = rows.filter(rows.period <= end)
    active = rows.select("customer", "period").distinct()
    window = ibis.window(group_by="customer", order_by="period")
    active = active.mutate(
        previous=active.period.lag().over(window), following=active.period.lead().over(window)
    )
    bucket = ibis.cases(
        (active.previous.isnull(), "new"),
        (active.previous == active.period - 1, "returning"),
        else_="resurrecting",
    )
    buyers = active.group_by([active.period, bucket.name("bucket")]).aggregate(
        customers=active.count()
    )
    lapsed = active.filter(
        (active.following.isnull() | (active.following != active.period + 1))
        & (active.period + 1 <= end)
    )
    dormant = lapsed.group_by(period=lapsed.period + 1).aggregate(customers=-lapsed.count())
    dormant = dormant.mutate(bucket=ibis.literal("dormant"))
    columns = ["period", "bucket", "customers"]
    return buyers.select(*columns).union(dormant.select(*columns))


def lifecycle_buckets(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    period: Period = "month",
    observation_start: Any = None,
    observation_end: Any = None,
) -> pd.DataFrame:
    """New, returning, resurrecting and dormant customers per period (see module docstring).

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame or ibis.Table
        One row per order; an ``ibis.Table`` is computed where it lives.
    customer_col, date_col : str
        The customer and the order date (timezone-aware dates count in their own zone).
    value_col : str, optional
        Order value; rows below 0 (refunds) are not purchases.
    period : {"day", "week", "month", "quarter"}
        Weeks start on Monday.
    observation_start, observation_end : date-like, optional
        The first and last periods shown (default: the first and last purchase). History
        before the start still classifies the customers.

    Returns
    -------
    pandas.DataFrame
        One row per period, none skipped: ``period`` (start date), ``new``, ``returning``,
        ``resurrecting``, ``dormant`` (<= 0) and ``active`` (the period's buyers).
    """
    if period not in _FREQ:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    freq = _FREQ[period]
    tz = None
    if is_ibis_table(transactions):
        table, names = transactions, (customer_col, date_col, value_col)
        first, last = transactions[date_col].min().execute(), transactions[date_col].max().execute()
    else:
        columns = columns_from_frame(transactions, customer_col, date_col, value_col)
        table, tz = memtable(columns), columns.tz
        names = ("customer", "date", "value" if value_col is not None else None)
        first, last = columns.dates.min(), columns.dates.max()
    start = period_start(first if observation_start is None else observation_start, freq,
                         "observation_start", tz)  # fmt: skip
    end = period_start(last if observation_end is None else observation_end, freq,
                       "observation_end", tz)  # fmt: skip
    assert start is not None and end is not None
    if start > end:
        raise InvalidInputError("observation_start", "is after observation_end")
    lo, hi = _index_of(start, period), _index_of(end, period)
    expr = buckets_expression(table, *names, period=period, end=hi)
    sparse = expr.to_pandas() if is_ibis_table(transactions) else execute_on_duckdb(expr)
    counts = sparse.pivot_table(
        index="period", columns="bucket", values="customers", aggfunc="sum", fill_value=0
    )
    counts = counts.reindex(index=np.arange(lo, hi + 1), columns=list(BUCKETS), fill_value=0)
    out = counts.astype(np.int64).reset_index(drop=True)
    out.columns.name = None
    out.insert(0, "period", pd.to_datetime([_start_of(int(i), period) for i in range(lo, hi + 1)]))
    out["active"] = out["new"] + out["returning"] + out["resurrecting"]
    return out
