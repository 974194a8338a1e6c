"""Reads: the customers behind one point of the Analytics page's charts and tables.

Each selector reads what the figure reads (the same orders of the customers the user sees,
``within`` a segment's members if chosen) and applies the figure's own rule from
``tenure.analytics.drill``, so the ids it returns are as many as the point counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from django.db.models import FloatField, QuerySet
from django.db.models.functions import Cast

from tenure.analytics.activity import ActivityRule, snapshot
from tenure.analytics.contracts import INTERVAL_MONTHS
from tenure.analytics.drill import RetentionPart, cohort_cell_members, retention_part
from tenure.analytics.drill_figures import frequency_bar_of, renewal_survivors
from tenure.analytics.errors import InvalidInputError
from tenure.insights.contracts import _rows, _visible
from tenure.insights.reading import (
    completed_orders,
    day_number,
    day_start,
    fetch_columns,
    visible_customer_ids,
)
from tenure.insights.selectors import (
    RECENCY_BUCKETS,
    _alive_model,
    _predictions,
    clv_bar_of,
    clv_histogram_end,
    purchase_log_with_ids,
    recency_bucket_of,
)
from tenure.users.models import User

IntArray = npt.NDArray[np.int64]


def retention_members(
    *,
    user: User | None,
    start: date,
    end: date,
    rule: ActivityRule | None = None,
    part: RetentionPart = "lost",
    within: QuerySet[Any, Any] | None = None,
) -> IntArray:
    """The ids of the customers who make ``part`` (retained, lost, joined, ...) of the retention
    figures of ``start`` .. ``end`` (``selectors.retention_figures``' S, E, N and lost)."""
    if end < start:
        raise InvalidInputError("end", f"the period ends ({end}) before it starts ({start})")
    rule = rule or ActivityRule()
    alive = _alive_model(rule)
    log, ids = purchase_log_with_ids(user, end, within)
    first = snapshot(log, day_number(start), rule, p_alive=alive)
    last = snapshot(log, day_number(end) + 1, rule, p_alive=alive)
    return ids[retention_part(first, last, part)]


_FREQ_START = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC"}


def cohort_members(
    *,
    user: User | None,
    cohort: date,
    k: int,
    period: Literal["week", "month", "quarter"] = "month",
    kind: Literal["on", "on_or_after"] = "on",
    retention_type: Literal["first_time", "recurring"] = "first_time",
    end: date,
    within: QuerySet[Any, Any] | None = None,
) -> IntArray:
    """The ids of the customers counted in one cell of ``selectors.cohort_table`` (cohort
    starting on ``cohort``, ``k`` periods after it; ``k = -1``: the whole cohort)."""
    if period not in _FREQ_START:
        raise InvalidInputError("cohort_period", f"must be week, month or quarter, got {period!r}")
    if isinstance(k, bool) or not isinstance(k, int) or not -1 <= k <= 120:
        raise InvalidInputError("k", "must be a whole number from -1 to 120")
    first_order_since = day_start(cohort) if retention_type == "first_time" else None
    orders = completed_orders(
        customers=visible_customer_ids(user, within=within),
        before=day_start(end + timedelta(days=1)),
        with_amount=True,
        first_order_since=first_order_since,
    )
    return cohort_cell_members(
        orders.customer_id,
        orders.day.astype("datetime64[D]"),
        orders.amount,
        period=period,
        mode=kind,
        retention_type=retention_type,
        observation_end=end,
        cohort=cohort,
        k=k,
    )


def clv_bar_members(
    *, user: User | None, bar: int, bins: int = 20, within: QuerySet[Any, Any] | None = None
) -> IntArray:
    """The ids of the customers bar ``bar`` of ``selectors.clv_distribution(bins=bins)``
    counts (its edges from the same customers' values); ``bar == bins``: those above the last
    bar, the top 1 %."""
    if not 1 <= bins <= 200:
        raise InvalidInputError("bins", "must be a whole number from 1 to 200")
    if not 0 <= bar <= bins:
        raise InvalidInputError("bar", f"must be a bar of the chart, 0 to {bins - 1}, or {bins}")
    table = fetch_columns(
        _predictions(user, within)
        .order_by()
        .values_list("customer_id", Cast("predicted_clv_365", FloatField())),
        2,
    )
    if table.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    values = table[:, 1]
    chosen = clv_bar_of(values, clv_histogram_end(values), bins) == bar
    return table[chosen, 0].astype(np.int64)


def recency_bucket_members(
    *, user: User | None, low_days: int, within: QuerySet[Any, Any] | None = None
) -> IntArray:
    """The ids of the customers in the bar of ``selectors.p_alive_by_recency`` that starts at
    ``low_days`` days since the last purchase (before the fit's observation end)."""
    if low_days not in RECENCY_BUCKETS:
        starts = ", ".join(str(days) for days in RECENCY_BUCKETS)
        raise InvalidInputError("low_days", f"must be where a bar of the chart starts: {starts}")
    table = fetch_columns(
        _predictions(user, within).order_by().values_list("customer_id", "T", "recency"), 3
    )
    if table.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    bucket = recency_bucket_of(table[:, 1] - table[:, 2])
    chosen = bucket == RECENCY_BUCKETS.index(low_days)
    return table[chosen, 0].astype(np.int64)


def repeat_purchase_members(
    *, user: User | None, repeat: int, top: int = 7, within: QuerySet[Any, Any] | None = None
) -> IntArray:
    """The ids of the customers in the "actual" bar ``repeat`` of ``selectors.fit_check(top=
    top)``: the stored predictions' repeat purchases, ``top`` for ``top`` or more."""
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 50:
        raise InvalidInputError("top", "must be a whole number from 1 to 50")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= top:
        raise InvalidInputError("repeat", f"must be a bar of the chart, 0 to {top}")
    table = fetch_columns(
        _predictions(user, within).order_by().values_list("customer_id", "frequency"), 2
    )
    chosen = frequency_bar_of(table[:, 1], top) == repeat
    return table[chosen, 0].astype(np.int64)


def survival_members(
    *,
    user: User | None,
    interval: str,
    renewals: int,
    as_of: date,
    within: QuerySet[Any, Any] | None = None,
) -> IntArray:
    """The ids of the customers whose ``interval`` subscriptions make point ``renewals`` of the
    observed survival of ``contracts.renewal_survival(as_of=as_of, interval=interval)``: renewed
    at least that many times, in a cohort observed that long. A customer with two such
    subscriptions is listed once."""
    if interval not in INTERVAL_MONTHS:
        raise InvalidInputError("interval", f"must be month, quarter or year, got {interval!r}")
    visible = _visible(user, day_start(as_of + timedelta(days=1)), within)
    rows = _rows(visible.filter(interval=interval))
    chosen = renewal_survivors(
        rows.start, rows.cancel, rows.months, as_of=as_of, renewals=renewals,
        interval=INTERVAL_MONTHS[interval],
    )  # fmt: skip
    return np.unique(rows.customer[chosen])
