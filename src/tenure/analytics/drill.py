"""The customers behind one point of a chart: the same definitions as the figures, as ids.

A chart's point is a count; clicking it must list exactly the customers counted. Each function
here answers one kind of point by the rule its figure uses, so the list's length is the point's
value (``tests/analytics/test_drill.py`` checks them against ``cohort_retention``,
``lifecycle_buckets`` and ``retention_counts`` cell by cell):

- a retention period: who stayed, was lost, joined (new or won back) between two snapshots;
- a cohort cell: the cohort's customers active in period k ("on" or "on or after");
- a lifecycle bucket: the period's new, returning, resurrecting or dormant buyers.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from tenure.analytics.activity import Snapshot
from tenure.analytics.errors import InvalidInputError

IntArray = npt.NDArray[np.int64]
RetentionPart = Literal["retained", "lost", "joined", "new", "won_back", "active_end"]
RETENTION_PARTS: tuple[str, ...] = get_args(RetentionPart)
Bucket = Literal["new", "returning", "resurrecting", "dormant"]
BUCKETS: tuple[str, ...] = get_args(Bucket)
PeriodKind = Literal["day", "week", "month", "quarter"]
_EPOCH = np.datetime64("1970-01-01", "D")


def retention_part(first: Snapshot, last: Snapshot, part: RetentionPart) -> npt.NDArray[np.bool_]:
    """Which customers of two snapshots make ``part`` of ``retention_counts``: ``retained``
    (S - lost: active at both ends), ``lost``, ``joined`` (N), its ``new`` and ``won_back``,
    ``active_end`` (E)."""
    if first.active.shape != last.active.shape:
        raise InvalidInputError("end", "must be a snapshot of the same population")
    new = last.active & ~first.acquired
    won_back = last.active & first.acquired & ~first.active
    parts = {
        "retained": first.active & last.active,
        "lost": first.active & ~last.active,
        "joined": new | won_back,
        "new": new,
        "won_back": won_back,
        "active_end": last.active,
    }
    if part not in parts:
        raise InvalidInputError("part", f"must be one of {', '.join(RETENTION_PARTS)}")
    return parts[part]


def period_index(days: Any, period: PeriodKind) -> IntArray:
    """Consecutive period numbers of days (weeks start on Monday), as the cohort and bucket
    tables count them: period k + 1 follows period k."""
    day = np.asarray(days, dtype="datetime64[D]")
    if period == "day":
        return (day - _EPOCH).astype(np.int64)
    if period == "week":
        return ((day - _EPOCH).astype(np.int64) + 3) // 7  # 1970-01-01 was a Thursday
    months = day.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    if period == "month":
        return months
    if period == "quarter":
        return months // 3
    raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")


def _purchases(
    customer: npt.ArrayLike, day: npt.ArrayLike, value: npt.ArrayLike | None, period: PeriodKind
) -> tuple[IntArray, IntArray]:
    """Distinct (customer, period) pairs of purchases (rows with a value below 0 are refunds,
    not purchases), sorted by customer then period."""
    who = np.asarray(customer, dtype=np.int64)
    index = period_index(day, period)
    if value is not None:
        keep = np.asarray(value, dtype=np.float64) >= 0
        who, index = who[keep], index[keep]
    pairs = np.unique(np.stack([who, index], axis=1), axis=0) if who.size else np.zeros((0, 2))
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


def cohort_cell_members(
    customer: npt.ArrayLike,
    day: npt.ArrayLike,
    value: npt.ArrayLike | None = None,
    *,
    period: Literal["week", "month", "quarter"],
    mode: Literal["on", "on_or_after"],
    retention_type: Literal["first_time", "recurring"],
    observation_end: date,
    cohort: date,
    k: int,
) -> IntArray:
    """The customers counted ``active`` in the cohort starting on ``cohort``, period ``k``
    (``tenure.analytics.cohorts``' definitions); ``k = -1``: the whole cohort."""
    if mode not in ("on", "on_or_after"):
        raise InvalidInputError("mode", f"must be 'on' or 'on_or_after', got {mode!r}")
    if retention_type not in ("first_time", "recurring"):
        raise InvalidInputError("retention_type", "must be 'first_time' or 'recurring'")
    who, index = _purchases(customer, day, value, period)
    end = int(period_index([observation_end], period)[0])
    keep = index <= end
    who, index = who[keep], index[keep]
    start = int(period_index([cohort], period)[0])
    if retention_type == "first_time":
        first = _first_of_each(who, index)
        members = np.unique(who[first & (index == start)])
    else:
        members = np.unique(who[index == start])
    if k < 0:
        return members
    target = start + k
    if mode == "on":
        bought = np.unique(who[index == target])
        return np.intersect1d(members, bought)
    last = _last_of_each(who, index)
    later = np.unique(who[last & (index >= target)])
    return np.intersect1d(members, later)


def _first_of_each(who: IntArray, index: IntArray) -> npt.NDArray[np.bool_]:
    first = np.ones(who.size, dtype=bool)
    first[1:] = who[1:] != who[:-1]
    return first


def _last_of_each(who: IntArray, index: IntArray) -> npt.NDArray[np.bool_]:
    last = np.ones(who.size, dtype=bool)
    last[:-1] = who[:-1] != who[1:]
    return last


def bucket_members(
    customer: npt.ArrayLike,
    day: npt.ArrayLike,
    value: npt.ArrayLike | None = None,
    *,
    period: PeriodKind,
    bucket: Bucket,
    start: date,
) -> IntArray:
    """The customers of one lifecycle bucket in the period starting on ``start``
    (``tenure.analytics.lifecycle_buckets``: new, returning, resurrecting buy in it; dormant
    bought in the period before and not in it). Purchases after that period are ignored."""
    if bucket not in BUCKETS:
        raise InvalidInputError("bucket", f"must be one of {', '.join(BUCKETS)}")
    who, index = _purchases(customer, day, value, period)
    target = int(period_index([start], period)[0])
    keep = index <= target
    who, index = who[keep], index[keep]
    now = np.unique(who[index == target])
    before = np.unique(who[index == target - 1])
    if bucket == "dormant":
        return np.setdiff1d(before, now)
    if bucket == "returning":
        return np.intersect1d(now, before)
    earlier = np.unique(who[index < target - 1])
    if bucket == "new":
        return np.setdiff1d(np.setdiff1d(now, before), earlier)
    return np.intersect1d(np.setdiff1d(now, before), earlier)  # resurrecting


def stage_members_at(transitions: Any, stage: str, at: Any) -> IntArray:
    """The customers in ``stage`` at the instant ``at``, from their moves (``customer``,
    ``to_stage``, ``at``), as ``tenure.analytics.funnel.stage_counts_over_time`` counts them at
    a period's end: the stay began before ``at`` and had not finished by then."""
    import pandas as pd

    from tenure.analytics.funnel import _stays

    stays = _stays(transitions, "customer", "to_stage", "at", None)
    bound = pd.Timestamp(at)
    tz = stays["start"].dt.tz
    if tz is not None and bound.tzinfo is None:
        bound = bound.tz_localize(tz)
    inside = (
        (stays["stage"] == stage)
        & (stays["start"] < bound)
        & (stays["finish"].isna() | (stays["finish"] >= bound))
    )
    return np.unique(stays.loc[inside, "customer"].to_numpy(dtype=np.int64))
