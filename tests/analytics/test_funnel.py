"""Funnel, time in stage and stage counts from a hand-worked transitions table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.funnel import funnel_conversion, stage_counts_over_time, stage_durations

# a: reach Jan 1 -> acquisition Jan 11 -> development Jan 25.
# b: reach Jan 5 -> acquisition Feb 4.
# c: imported Jan 1 straight through retention to churned (one evaluation), won back Mar 1.
# d: reach Mar 15.
TRANSITIONS = pd.DataFrame(
    {
        "customer": ["a", "a", "a", "b", "b", "c", "c", "c", "d"],
        "to_stage": ["reach", "acquisition", "development", "reach", "acquisition", "retention",
                     "churned", "won_back", "reach"],
        "at": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-25", "2024-01-05",
                              "2024-02-04", "2024-01-01", "2024-01-01", "2024-03-01",
                              "2024-03-15"]),
    }
)  # fmt: skip
STEPS = ["reach", "acquisition", "development", "retention"]


def test_funnel_counts_those_who_reached_a_step_or_beyond():
    funnel = funnel_conversion(TRANSITIONS, STEPS)
    # c passed through retention, so they count as having reached every earlier step too.
    assert funnel["reached"].tolist() == [4, 3, 2, 1]
    np.testing.assert_allclose(funnel["conversion"], [np.nan, 75.0, 200 / 3, 50.0])
    np.testing.assert_allclose(funnel["overall"], [100.0, 75.0, 50.0, 25.0])


def test_time_in_stage_with_open_stays_censored():
    table = stage_durations(TRANSITIONS, observation_end="2024-04-01").set_index("stage")
    # reach: a 10 days, b 30 days (both left), d 17 days so far (open). Kaplan-Meier: S = 2/3
    # after day 10, d censored at 17, S = 0 at day 30: the median is 30, where the plain
    # median of finished stays says 20.
    assert table.loc["reach"].to_dict() == {
        "stays": 3,
        "completed": 2,
        "open": 1,
        "median_days": 30.0,
        "median_days_completed": 20.0,
    }
    # c's zero-length pass through retention is no stay; churned lasted Jan 1 -> Mar 1.
    assert "retention" not in table.index
    assert table.loc["churned", "median_days"] == 60.0
    assert np.isnan(table.loc["development", "median_days"])  # nobody left yet


def test_stage_counts_at_each_period_end():
    counts = stage_counts_over_time(
        TRANSITIONS, observation_start="2024-01-01", observation_end="2024-03-31",
        stages=["reach", "acquisition", "development", "churned", "won_back"],
    )  # fmt: skip
    assert counts.index.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert counts.values.tolist() == [
        [1, 0, 1, 1, 0],  # end of Jan: b in reach, a in development, c churned
        [0, 1, 1, 1, 0],
        [1, 1, 1, 0, 1],
    ]
    assert (counts.sum(axis=1) <= TRANSITIONS["customer"].nunique()).all()


def test_refused():
    with pytest.raises(InvalidInputError, match="observation_end: is before some transitions"):
        stage_durations(TRANSITIONS, observation_end="2024-02-01")
    with pytest.raises(InvalidInputError, match="stage: is not a column"):
        funnel_conversion(TRANSITIONS, STEPS, stage_col="stage")


def _at_period_ends_by_brute_force(frame: pd.DataFrame, bounds: pd.DatetimeIndex, stage: str):
    """Customers whose last move before each instant (ties in input order) is into ``stage``."""
    counts = []
    for bound in bounds:
        before = frame[frame["at"] < bound]
        last = before.groupby("customer", sort=False).tail(1)  # sorted by at, then input order
        counts.append(int((last["to_stage"] == stage).sum()))
    return counts


@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Paris", "America/Los_Angeles"])
def test_stage_counts_match_a_brute_force_count_in_any_zone(zone):
    """The counts are computed on integer instants (an aware column's objects took 12 s for
    800,000 moves); in every zone they are what a count customer by customer gives."""
    rng = np.random.default_rng(7)
    size = 400
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, size), unit="D")
    stamps += pd.to_timedelta(rng.integers(0, 24, size), unit="h")  # DST changes crossed
    frame = pd.DataFrame(
        {
            "customer": rng.integers(0, 60, size),
            "to_stage": rng.choice(["reach", "retention", "at_risk"], size),
            "at": stamps if zone is None else stamps.tz_localize(zone, nonexistent="shift_forward",
                                                                  ambiguous=False),
        }
    )  # fmt: skip
    frame = frame.sort_values(["customer", "at"], kind="stable").reset_index(drop=True)
    counts = stage_counts_over_time(
        frame, observation_start="2024-01-01", observation_end="2025-02-01", period="month",
        stages=["reach", "retention", "at_risk"],
    )  # fmt: skip
    periods = pd.period_range("2024-01-01", "2025-02-01", freq="M")
    bounds = (periods + 1).start_time
    if zone is not None:
        bounds = bounds.tz_localize(zone)
    for stage in ("reach", "retention", "at_risk"):
        assert counts[stage].tolist() == _at_period_ends_by_brute_force(frame, bounds, stage)
    durations = stage_durations(frame, observation_end="2025-03-01", stages=["reach"])
    assert int(durations["stays"].iloc[0]) > 0
