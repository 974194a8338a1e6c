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
from django.db.models import QuerySet

from tenure.analytics.activity import ActivityRule, snapshot
from tenure.analytics.drill import RetentionPart, cohort_cell_members, retention_part
from tenure.analytics.errors import InvalidInputError
from tenure.insights.reading import completed_orders, day_number, day_start, visible_customer_ids
from tenure.insights.selectors import _alive_model, purchase_log_with_ids
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
