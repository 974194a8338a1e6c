"""The customers behind a chart's point are exactly those its figure counts: every cohort cell
and every lifecycle bucket of a random book, and each part of a retention period."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.activity import ActivityRule, PurchaseLog, retention_counts, snapshot
from tenure.analytics.cohorts import cohort_retention
from tenure.analytics.drill import (
    bucket_members,
    cohort_cell_members,
    period_index,
    retention_part,
)
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.lifecycle_buckets import lifecycle_buckets

END = date(2025, 6, 30)


def _book(seed: int = 3, customers: int = 80, orders: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.datetime64("2024-01-01") + rng.integers(0, 547, orders)
    return pd.DataFrame(
        {
            "customer": rng.integers(1, customers + 1, orders),
            "date": days.astype("datetime64[D]"),
            "value": np.where(rng.random(orders) < 0.05, -10.0, rng.uniform(5, 200, orders)),
        }
    )


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
@pytest.mark.parametrize("retention_type", ["first_time", "recurring"])
def test_every_cohort_cell_lists_as_many_customers_as_it_counts(period, mode, retention_type):
    book = _book()
    table = cohort_retention(
        book, "customer", "date", "value", period=period, mode=mode,
        retention_type=retention_type, observation_end=END,
    )  # fmt: skip
    assert len(table) > 10
    for row in table.itertuples(index=False):
        members = cohort_cell_members(
            book["customer"], book["date"], book["value"], period=period, mode=mode,
            retention_type=retention_type, observation_end=END,
            cohort=pd.Timestamp(row.cohort).date(), k=int(row.period),
        )  # fmt: skip
        assert members.size == row.active, (row.cohort, row.period)
        whole = cohort_cell_members(
            book["customer"], book["date"], book["value"], period=period, mode=mode,
            retention_type=retention_type, observation_end=END,
            cohort=pd.Timestamp(row.cohort).date(), k=-1,
        )  # fmt: skip
        assert whole.size == row.customers
        assert np.isin(members, whole).all()


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_every_lifecycle_bucket_lists_as_many_customers_as_it_counts(period):
    book = _book(seed=5)
    table = lifecycle_buckets(
        book, "customer", "date", "value", period=period,
        observation_start=date(2024, 3, 1), observation_end=END,
    )  # fmt: skip
    checked = 0
    for row in table.itertuples(index=False):
        for bucket in ("new", "returning", "resurrecting", "dormant"):
            members = bucket_members(
                book["customer"], book["date"], book["value"], period=period, bucket=bucket,
                start=pd.Timestamp(row.period).date(),
            )  # fmt: skip
            assert members.size == abs(getattr(row, bucket)), (row.period, bucket)
            checked += members.size
    assert checked > 100


def test_the_parts_of_a_retention_period_add_up_to_its_counts():
    # DOMAIN.md's example on a day clock: 20 active at the start, 1 lost, 5 new.
    who = [i for i in range(20) for _ in (0, 1)] + list(range(1, 20)) + list(range(20, 25))
    day = [10, 20] * 20 + [110] * 19 + [100] * 5
    log = PurchaseLog.of(25, who, day)
    rule = ActivityRule(kind="fixed_days", days=60)
    first, last = snapshot(log, 30, rule), snapshot(log, 121, rule)
    counts = retention_counts(first, last)
    assert retention_part(first, last, "lost").sum() == counts.lost == 1
    assert np.flatnonzero(retention_part(first, last, "lost")).tolist() == [0]
    assert retention_part(first, last, "retained").sum() == counts.start - counts.lost == 19
    assert retention_part(first, last, "joined").sum() == counts.acquired == 5
    assert retention_part(first, last, "active_end").sum() == counts.end == 24
    with pytest.raises(InvalidInputError) as refused:
        retention_part(first, last, "kept")  # type: ignore[arg-type]
    assert refused.value.name == "part"


def test_period_numbers_follow_each_other():
    days = np.array(["2024-12-29", "2024-12-30", "2025-01-05", "2025-01-06"], "datetime64[D]")
    assert np.diff(period_index(days, "week")).tolist() == [1, 0, 1]  # Mondays start weeks
    assert np.diff(period_index(days, "month")).tolist() == [0, 1, 0]
    assert np.diff(period_index(days, "quarter")).tolist() == [0, 1, 0]


def test_the_customers_in_a_stage_at_each_period_end_are_those_the_flow_counts():
    from tenure.analytics.drill import stage_members_at
    from tenure.analytics.funnel import stage_counts_over_time

    rng = np.random.default_rng(11)
    rows = []
    for customer in range(60):
        moments = np.sort(rng.integers(0, 400, rng.integers(1, 6)))
        for moment in moments:
            stage = rng.choice(["new", "active", "at_risk", "lost"])
            rows.append(
                (
                    customer,
                    stage,
                    pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=int(moment)),
                )
            )
    moves = pd.DataFrame(rows, columns=["customer", "to_stage", "at"])
    counts = stage_counts_over_time(
        moves, observation_start="2024-01-01", observation_end="2025-01-31", period="month",
        stages=["new", "active", "at_risk", "lost"],
    )  # fmt: skip
    for start, row in counts.iterrows():
        bound = (pd.Period(start, "M") + 1).start_time
        for stage in counts.columns:
            assert stage_members_at(moves, stage, bound).size == row[stage], (start, stage)
