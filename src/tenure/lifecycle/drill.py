"""Reads: the customers behind one point of the Lifecycle page's charts, and the customers of
any drill-down as a list.

The counts they match: ``selectors.stage_flow`` (customers in a stage at the end of a period),
``selectors.lifecycle_buckets_for`` (a period's new, returning, resurrecting and dormant
buyers) and ``audit.churn_audit_for`` (the churned customers behind an attribute's bar); the
same reads under ``visible(user)`` and ``within``, the rules of ``tenure.analytics.drill`` and
``tenure.analytics.drill_figures``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from tenure.analytics.drill import Bucket, bucket_members, stage_members_at
from tenure.analytics.drill_figures import audit_bar_members
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Customer
from tenure.insights.reading import completed_orders, day_start, visible_customer_ids
from tenure.lifecycle.audit import churn_audit_frame
from tenure.lifecycle.selectors import _PERIOD_FREQ, Period, Within, _customers, _transitions
from tenure.users.models import User

IntArray = npt.NDArray[np.int64]


def bucket_members_for(
    *,
    user: User | None,
    period: Period,
    bucket: Bucket,
    start: date,
    within: Within = None,
) -> IntArray:
    """The ids behind one bar of the buckets chart: the period starting on ``start``."""
    if period not in _PERIOD_FREQ:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    last = pd.Period(start, freq=_PERIOD_FREQ[period]).end_time.date()
    orders = completed_orders(
        customers=visible_customer_ids(user, within=within),
        before=day_start(min(last, timezone.localdate()) + timedelta(days=1)),
    )
    return bucket_members(
        orders.customer_id, orders.day.astype("datetime64[D]"), period=period, bucket=bucket,
        start=start,
    )  # fmt: skip


def stage_members_at_end(
    *,
    user: User | None,
    stage: str,
    period: Period,
    start: date,
    now: datetime | None = None,
    within: Within = None,
) -> IntArray:
    """The ids behind one point of the flow chart: in ``stage`` at the end of the period
    starting on ``start`` (for the period not over yet: now), on the effective history."""
    if period not in _PERIOD_FREQ:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    stamp = pd.Timestamp(now or timezone.now())
    moves = _transitions(user, within)
    moves = moves[moves["at"] <= stamp]
    if moves.empty:
        return np.zeros(0, dtype=np.int64)
    bound = (pd.Period(start, freq=_PERIOD_FREQ[period]) + 1).start_time.tz_localize("UTC")
    return stage_members_at(moves, stage, bound)


def audit_members(
    *, user: User | None, attribute: str, category: str | None = None, within: Within = None
) -> IntArray:
    """The ids behind one bar of the churn audit: the churned customers in ``category`` of
    ``attribute`` (as the audit pools categories), or with a value of a numeric one."""
    frame = churn_audit_frame(user=user, within=within)
    if attribute == "churned" or attribute not in frame.columns:
        raise InvalidInputError("attribute", f"is not an attribute of the audit: {attribute!r}")
    churned = frame["churned"].to_numpy(dtype=bool)
    chosen = audit_bar_members(frame[attribute], churned, category=category)
    return frame.index.to_numpy(dtype=np.int64)[chosen]


def drilled_customers(
    *, user: User | None, ids: IntArray, within: Within = None
) -> QuerySet[Customer]:
    """The visible customers among ``ids``, by id: the drill-down's list and its export."""
    return _customers(user, within).filter(pk__in=ids.tolist()).order_by("pk")
