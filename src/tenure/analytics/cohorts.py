"""Cohort retention tables and per-period order metrics, as Ibis expressions on DuckDB.

A cohort is the customers whose first purchase (``first_time``) fell in one week, month or
quarter; period k is the k-th period after it. Definitions as PostHog and Amplitude give them:

- ``mode="on"``: active in period k if they bought *in* period k (Amplitude's "N-day"
  retention, PostHog's default);
- ``mode="on_or_after"``: active in period k if they bought in period k *or any later one*
  (Amplitude's "unbounded", PostHog's "on or after"); never rises with k;
- ``retention_type="recurring"`` (PostHog): a customer joins the cohort of *every* period in
  which they bought, instead of only their first.

Purchases are rows with a value >= 0 (refunds are not purchases, as in
:mod:`tenure.analytics.summary`); revenue is the net sum of all rows, refunds included. Every
cohort gets a row for each period up to the observation end, with 0 where nobody bought.
"""

from __future__ import annotations

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

Period = Literal["week", "month", "quarter"]
_FREQ = {"week": "W", "month": "M", "quarter": "Q"}


def _periods_between(later: Any, earlier: Any, period: Period) -> Any:
    # Exact on period starts: Monday-to-Monday days / 7, whole months, whole quarters.
    if period == "week":
        return later.delta(earlier, unit="day") // 7
    return later.delta(earlier, unit=period)


def retention_expression(
    table: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    period: Period = "month",
    mode: Literal["on", "on_or_after"] = "on",
    retention_type: Literal["first_time", "recurring"] = "first_time",
    observation_end: Any,
) -> Any:
    """Cohort x period counts (and revenue) as one Ibis expression, sparse (no zero rows).

    Columns: ``cohort`` (period start date), ``period`` (k), ``active`` and, with values,
    ``revenue``; plus one row per cohort with ``period = -1`` and ``active`` = cohort size.
    """
    import ibis

    end = ibis.literal(observation_end, type="date")
    start = table[date_col].truncate(_FREQ[period]).cast("date")
    value = table[value_col].cast("float64") if value_col else ibis.literal(0.0, type="float64")
    rows = table.select(customer=table[customer_col], start=start, value=value)
    rows = rows.filter(rows.start <= end)
    bought = rows.filter(rows.value >= 0) if value_col else rows
    activity = bought.select("customer", "start").distinct()
    if retention_type == "first_time":
        entries = activity.group_by("customer").aggregate(cohort=activity.start.min())
    else:
        entries = activity.select("customer", cohort=activity.start)
    sizes = entries.group_by("cohort").aggregate(active=entries.count())
    sizes = sizes.mutate(period=ibis.literal(-1, type="int64"))
    if mode == "on":
        joined = entries.join(activity, "customer").filter(lambda t: t.start >= t.cohort)
        joined = joined.mutate(period=_periods_between(joined.start, joined.cohort, period))
        counts = joined.group_by(["cohort", "period"]).aggregate(active=joined.count())
    else:
        # Active at every k up to the customer's last purchase: count entries by their last
        # k here; the cumulative count from the top is taken after collecting (small table).
        last = activity.group_by("customer").aggregate(last=activity.start.max())
        joined = entries.join(last, "customer")
        joined = joined.mutate(period=_periods_between(joined["last"], joined.cohort, period))
        counts = joined.group_by(["cohort", "period"]).aggregate(active=joined.count())
    columns = ["cohort", "period", "active"]
    if value_col:
        spend = rows.group_by(["customer", "start"]).aggregate(revenue=rows.value.sum())
        paid = entries.join(spend, "customer").filter(lambda t: t.start >= t.cohort)
        paid = paid.mutate(period=_periods_between(paid.start, paid.cohort, period))
        revenue = paid.group_by(["cohort", "period"]).aggregate(revenue=paid.revenue.sum())
        counts = counts.outer_join(revenue, ["cohort", "period"]).select(
            cohort=ibis.coalesce(counts.cohort, revenue.cohort),
            period=ibis.coalesce(counts.period, revenue.period),
            active=ibis.coalesce(counts.active, 0),
            revenue=ibis.coalesce(revenue.revenue, 0.0),
        )
        sizes = sizes.mutate(revenue=ibis.literal(0.0, type="float64"))
        columns.append("revenue")
    return counts.select(*columns).union(sizes.select(*columns))


def cohort_retention(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    period: Period = "month",
    mode: Literal["on", "on_or_after"] = "on",
    retention_type: Literal["first_time", "recurring"] = "first_time",
    observation_end: Any = None,
) -> pd.DataFrame:
    """Acquisition cohort x periods since acquisition: customers, active, rate and revenue.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars.DataFrame or ibis.Table
        One row per order; an ``ibis.Table`` is computed where it lives.
    period : {"week", "month", "quarter"}
        Cohort and period length (weeks start on Monday).
    mode, retention_type :
        See the module docstring.
    observation_end : date-like, optional
        Last day counted (default: the last date in the data).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per cohort and period k = 0, 1, ... up to the observation end:
        ``cohort`` (date), ``period``, ``customers`` (cohort size), ``active``, ``rate``
        (percent of the cohort) and, with values, ``revenue``. Pivot with
        :func:`cohort_matrix`.
    """
    if period not in _FREQ:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period!r}")
    if mode not in ("on", "on_or_after"):
        raise InvalidInputError("mode", f"must be 'on' or 'on_or_after', got {mode!r}")
    if retention_type not in ("first_time", "recurring"):
        raise InvalidInputError("retention_type", "must be 'first_time' or 'recurring'")
    freq = _FREQ[period]
    if is_ibis_table(transactions):
        table, names = transactions, (customer_col, date_col, value_col)
        last = observation_end if observation_end is not None else table[date_col].max().execute()
        end = period_start(last, freq, "observation_end", None)
    else:
        columns = columns_from_frame(transactions, customer_col, date_col, value_col)
        table = memtable(columns)
        names = ("customer", "date", "value" if value_col is not None else None)
        end = period_start(observation_end, freq, "observation_end", columns.tz)
        if end is None:
            end = period_start(columns.dates.max(), freq, "observation_end", None)
    expr = retention_expression(
        table, *names, period=period, mode=mode, retention_type=retention_type, observation_end=end
    )
    sparse = expr.to_pandas() if is_ibis_table(transactions) else execute_on_duckdb(expr)
    if sparse.empty:
        raise InvalidInputError("observation_end", "no purchases on or before it")
    return _complete(sparse, mode, end, period, value_col is not None)


def _complete(
    sparse: pd.DataFrame, mode: str, end: Any, period: Period, has_value: bool
) -> pd.DataFrame:
    """Dense table: every cohort x every k up to the observation end, zeros filled."""
    sparse["cohort"] = pd.to_datetime(sparse["cohort"])
    sizes = sparse[sparse["period"] == -1].set_index("cohort")["active"]
    counts = sparse[sparse["period"] >= 0]
    end_stamp = pd.Timestamp(end)
    frames = []
    for cohort, size in sizes.items():
        span = _count_periods(end_stamp, pd.Timestamp(cohort), period)
        frames.append(
            pd.DataFrame({"cohort": cohort, "period": np.arange(span + 1), "customers": size})
        )
    dense = pd.concat(frames, ignore_index=True)
    dense = dense.merge(counts, on=["cohort", "period"], how="left")
    dense["active"] = dense["active"].fillna(0).astype(np.int64)
    if mode == "on_or_after":
        # Each customer counted once at their last k: active at k is the count at k or later.
        dense["active"] = dense.groupby("cohort")["active"].transform(
            lambda s: s[::-1].cumsum()[::-1]
        )
    dense["customers"] = dense["customers"].astype(np.int64)
    dense["rate"] = 100.0 * dense["active"] / dense["customers"]
    if has_value:
        dense["revenue"] = dense["revenue"].fillna(0.0)
    columns = ["cohort", "period", "customers", "active", "rate"] + (
        ["revenue"] if has_value else []
    )
    return dense[columns].sort_values(["cohort", "period"], ignore_index=True)


def _count_periods(end: pd.Timestamp, start: pd.Timestamp, period: Period) -> int:
    if period == "week":
        return (end - start).days // 7
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if period == "month" else months // 3


def cohort_matrix(table: pd.DataFrame, values: str = "rate") -> pd.DataFrame:
    """Pivot :func:`cohort_retention`'s output: cohorts down, periods across (a heatmap)."""
    return table.pivot(index="cohort", columns="period", values=values)


def period_metrics(
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str,
    *,
    period: Period = "month",
    observation_end: Any = None,
) -> pd.DataFrame:
    """Per period: buyers (new and returning), orders, revenue and DOMAIN.md's order metrics.

    Columns: ``period`` (start date), ``customers``, ``new_customers`` (first purchase in the
    period), ``returning_customers``, ``orders`` (rows with value >= 0), ``revenue`` (net of
    refunds), ``average_order_value`` (revenue / orders), ``purchase_frequency`` (orders /
    customers) and ``repeat_purchase_rate`` (percent of the period's buyers with two or more
    orders in it). Periods without a purchase are left out (their ratios are undefined).
    """
    import ibis

    if period not in _FREQ:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period!r}")
    freq = _FREQ[period]
    if is_ibis_table(transactions):
        table, names = transactions, (customer_col, date_col, value_col)
        last = observation_end if observation_end is not None else table[date_col].max().execute()
        end = period_start(last, freq, "observation_end", None)
    else:
        columns = columns_from_frame(transactions, customer_col, date_col, value_col)
        table, names = memtable(columns), ("customer", "date", "value")
        end = period_start(observation_end, freq, "observation_end", columns.tz)
        if end is None:
            end = period_start(columns.dates.max(), freq, "observation_end", None)
    customer, date, value = (table[name] for name in names)
    rows = table.select(
        customer=customer, start=date.truncate(freq).cast("date"), value=value.cast("float64")
    )
    rows = rows.filter(rows.start <= ibis.literal(end, type="date"))
    rows = rows.mutate(order=(rows.value >= 0).cast("int64"))
    per = rows.group_by(["customer", "start"]).aggregate(
        orders=rows.order.sum(), revenue=rows.value.sum()
    )
    buyers = per.filter(per.orders > 0)
    first = buyers.group_by("customer").aggregate(first=buyers.start.min())
    per = per.left_join(first, "customer").drop("customer_right")
    stats = per.group_by("start").aggregate(
        customers=(per.orders > 0).cast("int64").sum(),
        new_customers=(per.start == per["first"]).cast("int64").sum(),
        repeaters=(per.orders >= 2).cast("int64").sum(),
        orders=per.orders.sum(),
        revenue=per.revenue.sum(),
    )
    expr = stats.filter(stats.orders > 0).order_by("start")
    out = expr.to_pandas() if is_ibis_table(transactions) else execute_on_duckdb(expr)
    out = out.rename(columns={"start": "period"})
    out["period"] = pd.to_datetime(out["period"])
    out["returning_customers"] = out["customers"] - out["new_customers"]
    out["average_order_value"] = out["revenue"] / out["orders"]
    out["purchase_frequency"] = out["orders"] / out["customers"]
    out["repeat_purchase_rate"] = 100.0 * out["repeaters"] / out["customers"]
    return out[
        [
            "period", "customers", "new_customers", "returning_customers", "orders", "revenue",
            "average_order_value", "purchase_frequency", "repeat_purchase_rate",
        ]
    ]  # fmt: skip
