"""rfm_summary: CDNOW reference, hand-worked logs, both engines, both DataFrame libraries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.summary import rfm_summary, summary_expression

PRINTED = 0.005 + 1e-9  # a value printed to 2 decimals is within half a cent of ours
ENGINES = ["ibis", "numba"]


@pytest.mark.parametrize("engine", ENGINES)
def test_cdnow_calibration_summary_equals_the_published_file(
    cdnow_transactions, cdnow_summary, cdnow_spend, engine
):
    # Weeks 1-39: purchases to 1997-09-30, several on one day count as one, time in weeks.
    summary = rfm_summary(
        cdnow_transactions,
        "customer",
        "date",
        "value",
        observation_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
        engine=engine,
    )
    assert len(summary) == len(cdnow_summary) == 2357
    assert summary.index.equals(cdnow_summary.index)
    np.testing.assert_array_equal(summary["frequency"], cdnow_summary["frequency"])
    for column in ("recency", "T"):
        assert np.abs(summary[column] - cdnow_summary[column]).max() <= PRINTED
    assert np.abs(summary["monetary_value"] - cdnow_spend["zbar"]).max() <= PRINTED


@pytest.mark.parametrize("engine", ENGINES)
def test_cdnow_calibration_and_holdout(cdnow_transactions, cdnow_summary, engine):
    split = rfm_summary(
        cdnow_transactions,
        "customer",
        "date",
        "value",
        observation_end="1998-06-30",
        calibration_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
        engine=engine,
    )
    np.testing.assert_array_equal(split["frequency_cal"], cdnow_summary["frequency"])
    assert np.abs(split["T_cal"] - cdnow_summary["T"]).max() <= PRINTED
    assert (split["duration_holdout"] == 39.0).all()  # 1997-10-01 .. 1998-06-30: 273 days
    # Purchase days in weeks 40-78, as lifetimes' calibration_and_holdout_data counts them.
    assert split["frequency_holdout"].sum() == 1882


def test_both_engines_agree_on_cdnow_exactly(cdnow_transactions):
    kwargs = dict(observation_end="1998-06-30", calibration_end="1997-09-30", freq="W")
    ibis_result = rfm_summary(cdnow_transactions, "customer", "date", "value", **kwargs)
    numba_result = rfm_summary(
        cdnow_transactions, "customer", "date", "value", engine="numba", **kwargs
    )
    assert_same(ibis_result, numba_result)


def assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert left.index.equals(right.index)
    assert list(left.columns) == list(right.columns)
    for column in left.columns:
        if column.startswith("monetary"):  # sums in a different order: equal to rounding
            np.testing.assert_allclose(left[column], right[column], rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(left[column], right[column], err_msg=column)


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp("2024-01-01") + pd.Timedelta(days=n)  # 2024-01-01 is a Monday


HAND = pd.DataFrame(
    {
        "who": ["a", "a", "a", "a", "a", "b", "c", "a"],
        "when": [day(0), day(0), day(3), day(10), day(12), day(7), day(5), day(30)],
        "paid": [10.0, 5.0, 20.0, 30.0, -20.0, 0.0, -8.0, 99.0],
    }
)


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_worked_daily_summary(engine):
    summary = rfm_summary(HAND, "who", "when", "paid", observation_end=day(14), engine=engine)
    # a: day 0 (10 + 5, one purchase), 3, 10; the refund on day 12 is not a purchase and the
    # day-30 order is after the observation end. b: one free order. c: only a refund, absent.
    expected = pd.DataFrame(
        {
            "frequency": [2.0, 0.0],
            "recency": [10.0, 0.0],
            "T": [14.0, 7.0],
            "monetary_value": [25.0, 0.0],
        },
        index=pd.Index(["a", "b"], name="who"),
    )
    pd.testing.assert_frame_equal(summary, expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_without_values_and_with_default_observation_end(engine):
    summary = rfm_summary(HAND, "who", "when", engine=engine)
    # Without a value column every row is a purchase (refund rows included); the last date
    # (day 30) ends the observation.
    assert list(summary.columns) == ["frequency", "recency", "T"]
    assert summary.loc["a"].tolist() == [4.0, 30.0, 30.0]
    assert summary.loc["c"].tolist() == [0.0, 0.0, 25.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_weeks_start_on_monday_and_months_are_calendar_months(engine):
    log = pd.DataFrame(
        {
            "who": [1, 1, 1, 2, 2],
            "when": [day(6), day(7), day(20), day(0), day(40)],  # Sun, Mon, Sun; Mon, Sat
            "paid": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    weekly = rfm_summary(
        log, "who", "when", "paid", observation_end=day(45), freq="W", engine=engine
    )
    # 1: Sunday Jan 7 is in the week of Monday Jan 1 (week 0), Monday Jan 8 starts week 1, Sunday
    # Jan 21 ends week 2: repeat weeks 1 and 2 (values 2 and 3); Thursday Feb 15 is in week 6.
    assert weekly.loc[1].tolist() == [2.0, 2.0, 6.0, 2.5]
    monthly = rfm_summary(
        log, "who", "when", "paid", observation_end="2024-03-31", freq="M", engine=engine
    )
    assert monthly.loc[1].tolist() == [0.0, 0.0, 2.0, 0.0]  # all in January
    assert monthly.loc[2].tolist() == [1.0, 1.0, 2.0, 5.0]  # January and February


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_worked_calibration_split(engine):
    split = rfm_summary(
        HAND, "who", "when", "paid", observation_end=day(30), calibration_end=day(5), engine=engine
    )
    # Calibration to day 5: a bought day 0 and 3; b (day 7) and c (refund) not yet customers.
    assert list(split.index) == ["a"]
    row = split.loc["a"]
    assert (row.frequency_cal, row.recency_cal, row.T_cal, row.monetary_value_cal) == (
        1.0,
        3.0,
        5.0,
        20.0,
    )
    # Holdout days 6-30: day 10 (30) and day 30 (99); the refund is not a purchase.
    assert (row.frequency_holdout, row.monetary_value_holdout, row.duration_holdout) == (
        2.0,
        64.5,
        25.0,
    )


def test_timezone_aware_dates_use_their_own_wall_clock():
    log = pd.DataFrame(
        {
            "who": [1, 1],
            # 23:30 and 00:30 in Berlin: two different local days, one UTC day.
            "when": pd.to_datetime(["2024-03-04 23:30", "2024-03-05 00:30"]).tz_localize(
                "Europe/Berlin"
            ),
        }
    )
    summary = rfm_summary(
        log, "who", "when", observation_end=pd.Timestamp("2024-03-06 12:00", tz="UTC")
    )
    assert summary.loc[1].tolist() == [1.0, 1.0, 2.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_polars_input_gives_the_same_summary(cdnow_transactions, engine):
    kwargs = dict(observation_end="1997-09-30", freq_multiplier=7, engine=engine)
    from_pandas = rfm_summary(cdnow_transactions, "customer", "date", "value", **kwargs)
    from_polars = rfm_summary(
        pl.from_pandas(cdnow_transactions), "customer", "date", "value", **kwargs
    )
    assert_same(from_pandas, from_polars)


def test_an_ibis_table_is_summarised_where_it_lives(cdnow_transactions):
    import duckdb
    import ibis

    # A table inside a database (ibis 12's create_table from pandas trips on DuckDB 2.0).
    database = duckdb.connect()
    database.execute("CREATE TABLE orders AS SELECT * FROM cdnow_transactions")
    table = ibis.duckdb.from_connection(database).table("orders")
    kwargs = dict(observation_end="1998-06-30", calibration_end="1997-09-30", freq_multiplier=7)
    in_database = rfm_summary(table, "customer", "date", "value", **kwargs)
    in_memory = rfm_summary(cdnow_transactions, "customer", "date", "value", **kwargs)
    assert_same(in_memory, in_database)
    expr = summary_expression(table, "customer", "date", observation_end=dt.date(1997, 9, 30))
    assert "GROUP BY" in ibis.to_sql(expr)


def test_random_logs_agree_between_engines():
    rng = np.random.default_rng(5)
    n = 20_000
    log = pd.DataFrame(
        {
            "c": rng.integers(0, 2_000, n),
            "d": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "v": np.round(rng.normal(30, 20, n), 2),  # about 7 % refunds
        }
    )
    for freq in ("D", "W", "M"):
        for cal in (None, "2023-09-30"):
            kwargs = dict(observation_end="2024-01-15", freq=freq, calibration_end=cal)
            assert_same(
                rfm_summary(log, "c", "d", "v", **kwargs),
                rfm_summary(log, "c", "d", "v", engine="numba", **kwargs),
            )


@pytest.mark.parametrize(
    ("frame", "kwargs", "name", "reason"),
    [
        (HAND, {"customer_col": "nobody"}, "nobody", "not a column"),
        (HAND.iloc[:0], {}, "transactions", "empty"),
        (HAND.assign(paid=[1.0, np.nan, 1, 1, 1, 1, 1, 1]), {}, "paid", "finite"),
        (HAND.assign(when=[day(0), pd.NaT, *HAND.when[2:]]), {}, "when", "missing dates"),
        (HAND.assign(who=["a", None, *HAND.who[2:]]), {}, "who", "missing customer ids"),
        (HAND.assign(when="not a date"), {}, "when", "must hold dates"),
        (
            HAND,
            {"calibration_end": day(20), "observation_end": day(10)},
            "calibration_end",
            "before",
        ),
        (HAND, {"observation_end": day(-5)}, "observation_end", "would be empty"),
        (HAND, {"freq": "Y"}, "freq", "one of"),
        (HAND, {"engine": "spark"}, "engine", "must be"),
        (HAND, {"freq_multiplier": 0}, "freq_multiplier", "> 0"),
        (HAND.to_dict(), {}, "transactions", "DataFrame"),
    ],
)
def test_bad_input_is_refused(frame, kwargs, name, reason):
    arguments = {"customer_col": "who", "date_col": "when", "value_col": "paid", **kwargs}
    with pytest.raises(InvalidInputError, match=reason) as info:
        rfm_summary(frame, **arguments)
    assert info.value.name == name
