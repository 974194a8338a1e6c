"""Lifecycle buckets: hand-worked logs, and a plain-Python second implementation."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import polars as pl
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.lifecycle_buckets import lifecycle_buckets

# a: Jan, Feb, Apr. b: Jan, Apr (plus a refund in Mar). c: Feb, Mar (the cohorts log).
LOG = pd.DataFrame(
    {
        "who": ["a", "a", "a", "a", "b", "b", "b", "c", "c"],
        "when": pd.to_datetime(
            ["2024-01-03", "2024-01-20", "2024-02-11", "2024-04-30", "2024-01-15", "2024-03-02",
             "2024-04-02", "2024-02-28", "2024-03-01"]
        ),
        "paid": [10.0, 5.0, 20.0, 7.0, 30.0, -30.0, 40.0, 8.0, 9.0],
    }
)  # fmt: skip
COLUMNS = ["new", "returning", "resurrecting", "dormant"]


def test_months_hand_worked():
    table = lifecycle_buckets(LOG, "who", "when", "paid")
    assert table["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03",
                                                             "2024-04"]  # fmt: skip
    assert table[COLUMNS].values.tolist() == [
        [2, 0, 0, 0],  # Jan: a and b buy for the first time
        [1, 1, 0, -1],  # Feb: c new, a again; b bought in Jan, not in Feb
        [0, 1, 0, -1],  # Mar: c again (b's refund is no purchase); a lapses
        [0, 0, 2, -1],  # Apr: a (last in Feb) and b (last in Jan) come back; c lapses
    ]
    assert table["active"].tolist() == [2, 2, 1, 2]


def test_without_values_every_row_is_activity():
    table = lifecycle_buckets(LOG, "who", "when")
    # b's March refund row now counts: b resurrects in March and returns in April.
    assert table[COLUMNS].values.tolist()[2:] == [[0, 1, 1, -1], [0, 1, 1, -1]]


def test_weeks_in_a_window_still_know_the_history():
    table = lifecycle_buckets(
        LOG,
        "who",
        "when",
        "paid",
        period="week",
        observation_start="2024-02-01",
        observation_end="2024-03-10",
    )
    assert table["period"].dt.strftime("%m-%d").tolist() == [
        "01-29",
        "02-05",
        "02-12",
        "02-19",
        "02-26",
        "03-04",
    ]  # fmt: skip  (Mondays)
    assert table[COLUMNS].values.tolist() == [
        [0, 0, 0, 0],
        [0, 0, 1, 0],  # a, last seen the week of Jan 15: resurrecting, not new
        [0, 0, 0, -1],
        [0, 0, 0, 0],
        [1, 0, 0, 0],  # c: Wed Feb 28 and Fri Mar 1 are the same week
        [0, 0, 0, -1],
    ]


def test_days_and_quarters():
    days = lifecycle_buckets(
        LOG,
        "who",
        "when",
        "paid",
        period="day",
        observation_start="2024-02-28",
        observation_end="2024-03-02",
    )
    # c buys on Feb 28 and Mar 1, and 2024 is a leap year: Feb 29 lies between, so c lapses
    # on the 29th and resurrects on Mar 1.
    assert days[COLUMNS].values.tolist() == [[1, 0, 0, 0], [0, 0, 0, -1], [0, 0, 1, 0],
                                             [0, 0, 0, -1]]  # fmt: skip
    quarters = lifecycle_buckets(LOG, "who", "when", "paid", period="quarter")
    assert quarters[COLUMNS].values.tolist() == [[3, 0, 0, 0], [0, 2, 0, -1]]


def test_ibis_and_polars_inputs_agree():
    expected = lifecycle_buckets(LOG, "who", "when", "paid")
    from_ibis = lifecycle_buckets(ibis.memtable(LOG), "who", "when", "paid")
    pd.testing.assert_frame_equal(from_ibis, expected)
    pd.testing.assert_frame_equal(
        lifecycle_buckets(pl.from_pandas(LOG), "who", "when", "paid"), expected
    )


def _reference(log, period):
    """Plain Python: sets of buyers per period, compared one period with the next."""
    start = log["when"].dt.to_period({"week": "W-SUN", "month": "M"}[period])
    buyers = log.assign(p=start).groupby("p")["who"].apply(set)
    periods = pd.period_range(buyers.index.min(), buyers.index.max(), freq=buyers.index.freq)
    seen: set = set()
    rows = []
    for p in periods:
        now, before = buyers.get(p, set()), buyers.get(p - 1, set())
        rows.append([len(now - seen), len(now & before), len((now - before) & seen),
                     -len(before - now)])  # fmt: skip
        seen |= now
    return rows


@pytest.mark.parametrize("period", ["week", "month"])
def test_matches_a_second_implementation(period):
    rng = np.random.default_rng(4)
    n = 3000
    log = pd.DataFrame(
        {
            "who": rng.integers(0, 300, n),
            "when": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), "D"),
        }
    )
    table = lifecycle_buckets(log, "who", "when", period=period)
    assert table[COLUMNS].values.tolist() == _reference(log, period)


def test_refused_inputs():
    with pytest.raises(InvalidInputError, match="period: must be day, week, month or quarter"):
        lifecycle_buckets(LOG, "who", "when", period="year")
    with pytest.raises(InvalidInputError, match="observation_start: is after observation_end"):
        lifecycle_buckets(LOG, "who", "when", observation_start="2024-05-01",
                          observation_end="2024-01-01")  # fmt: skip
