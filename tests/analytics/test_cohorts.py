"""Cohort tables: hand-worked logs for each definition, and CDNOW sanity checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tenure.analytics.cohorts import cohort_matrix, cohort_retention, period_metrics
from tenure.analytics.errors import InvalidInputError

# Three customers, months of 2024. a: Jan, Feb, Apr. b: Jan, Apr (plus a refund in Mar).
# c: Feb, Mar.
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


def rates(table):
    return cohort_matrix(table).to_numpy()


def test_first_time_on():
    table = cohort_retention(LOG, "who", "when", "paid", period="month")
    # Jan cohort {a, b}: Feb a; Mar nobody (b's refund is not a purchase); Apr a and b.
    # Feb cohort {c}: Mar c; Apr nobody.
    jan = table[table.cohort == "2024-01-01"]
    assert jan["active"].tolist() == [2, 1, 0, 2]
    assert jan["rate"].tolist() == [100.0, 50.0, 0.0, 100.0]
    assert jan["revenue"].tolist() == [45.0, 20.0, -30.0, 47.0]  # net of the refund
    feb = table[table.cohort == "2024-02-01"]
    assert feb["active"].tolist() == [1, 1, 0] and feb["customers"].tolist() == [1, 1, 1]


def test_first_time_on_or_after():
    table = cohort_retention(LOG, "who", "when", "paid", mode="on_or_after")
    # Jan cohort: both buy again in April, so they count as retained in every month to April.
    np.testing.assert_array_equal(rates(table)[0], [100.0, 100.0, 100.0, 100.0])
    np.testing.assert_array_equal(rates(table)[1][:3], [100.0, 100.0, 0.0])


def test_recurring_on():
    table = cohort_retention(LOG, "who", "when", "paid", retention_type="recurring")
    sizes = table.groupby("cohort")["customers"].first()
    # Buyers per month: Jan {a, b}, Feb {a, c}, Mar {c}, Apr {a, b}.
    assert sizes.tolist() == [2, 2, 1, 2]
    feb = table[table.cohort == "2024-02-01"]
    assert feb["active"].tolist() == [2, 1, 1]  # Mar: c; Apr: a


def test_weeks_and_quarters():
    weekly = cohort_retention(LOG, "who", "when", period="week")
    assert weekly.cohort.min() == pd.Timestamp("2024-01-01")  # the Monday of Jan 3
    quarterly = cohort_retention(LOG, "who", "when", period="quarter")
    assert quarterly["active"].tolist() == [3, 2]  # Q1 everyone; Q2 a and b


def test_polars_input_and_cdnow_shape(cdnow_transactions):
    table = cohort_retention(cdnow_transactions, "customer", "date", "value")
    same = cohort_retention(pl.from_pandas(cdnow_transactions), "customer", "date", "value")
    pd.testing.assert_frame_equal(table, same)
    # CDNOW customers were all acquired in Q1 1997: three monthly cohorts, 18 months each.
    matrix = cohort_matrix(table, "active")
    assert matrix.shape == (3, 18) and matrix[0].sum() == 2357
    on_or_after = cohort_matrix(
        cohort_retention(cdnow_transactions, "customer", "date", mode="on_or_after")
    )
    steps = np.diff(on_or_after.to_numpy(), axis=1)
    assert (steps[~np.isnan(steps)] <= 0).all()  # never rises (NaN: after the data ends)


def test_period_metrics():
    metrics = period_metrics(LOG, "who", "when", "paid")
    assert metrics["period"].dt.month.tolist() == [1, 2, 3, 4]
    jan = metrics.iloc[0]
    # Jan: a twice (15), b once (30): 3 orders, 45 revenue, 2 buyers, both new, a repeats.
    assert (jan.customers, jan.new_customers, jan.orders, jan.revenue) == (2, 2, 3, 45.0)
    assert (jan.average_order_value, jan.purchase_frequency, jan.repeat_purchase_rate) == (
        15.0,
        1.5,
        50.0,
    )
    mar = metrics.iloc[2]
    # Mar: c buys 9; b's refund -30 is revenue but not an order.
    assert (mar.customers, mar.orders, mar.revenue, mar.returning_customers) == (1, 1, -21.0, 1)


def test_bad_arguments():
    with pytest.raises(InvalidInputError, match="period"):
        cohort_retention(LOG, "who", "when", period="day")
    with pytest.raises(InvalidInputError, match="mode"):
        cohort_retention(LOG, "who", "when", mode="after")
    with pytest.raises(InvalidInputError, match="no purchases"):
        cohort_retention(LOG, "who", "when", observation_end="2023-01-01")
    with pytest.raises(InvalidInputError, match="empty"):
        cohort_retention(LOG.iloc[:0], "who", "when")
