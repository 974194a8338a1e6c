"""The customers behind the models' and the churn audit's points are exactly those the figures
count: every bar of the model check, every observed point of the renewal survival, every bar of
the churn audit; and small cases by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.audit import churn_audit
from tenure.analytics.contracts import renewal_cohorts
from tenure.analytics.drill_figures import (
    audit_bar_counts,
    audit_bar_members,
    audit_bar_words,
    audit_categories,
    frequency_bar_of,
    renewal_survivors,
)
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.model_check import bgnbd_frequency_check

# --- the model check ---------------------------------------------------------------------------


def test_every_bar_of_the_model_check_lists_as_many_customers_as_it_counts():
    rng = np.random.default_rng(7)
    frequency = rng.poisson(2.5, 500).astype(np.float64)
    ages = rng.uniform(30, 400, 500)
    check = bgnbd_frequency_check(frequency, ages, r=0.8, alpha=40.0, a=0.7, b=2.5, top=7)
    bars = frequency_bar_of(frequency, 7)
    assert [int((bars == k).sum()) for k in check.frequency] == check.actual
    assert check.actual[-1] > 0  # some have 7 or more: the last bar is "7+"


def test_the_last_bar_of_the_model_check_holds_every_larger_count_by_hand():
    assert frequency_bar_of([0, 1, 3, 4, 9, 3], 3).tolist() == [0, 1, 3, 3, 3, 3]
    with pytest.raises(InvalidInputError, match="top"):
        frequency_bar_of([1], 0)


# --- the renewal survival ----------------------------------------------------------------------


def test_an_observed_survival_point_lists_the_survivors_of_the_cohorts_observed_that_long():
    # renewal_cohorts' own example (tests/analytics/test_contracts.py): on 2017-06-30 the 2015
    # cohort is observed through one renewal (its December starter), the 2016 cohort through
    # one; 2015-01-10 and the first 2016-03-01 cancelled on their first anniversary.
    start = ["2015-01-10", "2015-01-20", "2015-12-01", "2016-03-01", "2016-03-01"]
    cancel = ["2016-01-10", None, None, "2017-03-01", None]
    as_of = date(2017, 6, 30)
    at = {t: renewal_survivors(start, cancel, [12] * 5, as_of=as_of, renewals=t) for t in range(3)}
    assert at[0].tolist() == [True] * 5
    assert np.flatnonzero(at[1]).tolist() == [1, 2, 4]  # 2 of the 2015 cohort, 1 of 2016's
    assert not at[2].any()  # no cohort is observed through two renewals


@pytest.mark.parametrize("interval", [1, 3, 12])
def test_every_observed_survival_point_counts_the_cohorts_survivors(interval):
    rng = np.random.default_rng(interval)
    n = 400
    start = np.datetime64("2019-01-01") + rng.integers(0, 4 * 365, n).astype("timedelta64[D]")
    lasted = rng.geometric(0.3, n) * interval * 30 + rng.integers(-20, 20, n)
    never = np.datetime64("NaT", "D")
    cancel = np.where(rng.random(n) < 0.7, start + lasted.astype("timedelta64[D]"), never)
    months = np.where(rng.random(n) < 0.8, interval, 12 if interval != 12 else 1)
    as_of = date(2024, 3, 15)
    table = renewal_cohorts(start, cancel, months, as_of=as_of, interval=interval)
    survivors = table.groupby("period")["survivors"].sum()
    assert len(survivors) >= 3
    for t, count in survivors.items():
        chosen = renewal_survivors(
            start, cancel, months, as_of=as_of, renewals=int(t), interval=interval
        )
        assert int(chosen.sum()) == count, t
        assert (months[chosen] == interval).all()
    beyond = renewal_survivors(
        start, cancel, months, as_of=as_of, renewals=len(survivors), interval=interval
    )
    assert not beyond.any()


def test_a_survival_point_refuses_a_negative_renewal_and_names_an_empty_book():
    with pytest.raises(InvalidInputError, match="renewals"):
        renewal_survivors(["2020-01-01"], [None], [12], as_of=date(2021, 1, 1), renewals=-1)
    nobody = renewal_survivors(["2022-01-01"], [None], [12], as_of=date(2021, 1, 1), renewals=0)
    assert nobody.tolist() == [False]  # started after as_of: in no cohort


# --- the churn audit ---------------------------------------------------------------------------


def _audited_book() -> pd.DataFrame:
    """60 buyers, every third churned; "plan" basic churns more; one rare plan (3 customers,
    pooled as "other"), missing plans, a flag and a number."""
    rng = np.random.default_rng(11)
    churned = np.arange(60) % 3 == 0
    plan = np.where(churned, "basic", "pro").astype(object)
    plan[rng.choice(60, 12, replace=False)] = "pro"
    plan[[1, 2, 4]] = "rare"
    plan[[5, 7, 9, 12, 15, 18, 21, 24, 27, 30]] = None
    return pd.DataFrame(
        {
            "churned": churned,
            "plan": plan,
            "on_account": np.arange(60) % 4 == 0,
            "seats": np.where(np.arange(60) % 5 == 0, np.nan, rng.integers(1, 50, 60)),
        }
    )


def test_every_bar_of_the_churn_audit_lists_as_many_churned_customers_as_it_stands_for():
    book = _audited_book()
    result = churn_audit(book, "churned")
    counts = audit_bar_counts(book, result)
    assert set(counts) == {"plan", "on_account", "seats"}
    churned = book["churned"].to_numpy()
    for row in result.itertuples(index=False):
        if row.kind == "categorical":
            values = audit_categories(book[row.attribute])
            inside = (values == row.category).to_numpy()
            # the churn rate the finding states is the bar's customers over the category's
            assert counts[row.attribute] / inside.sum() == pytest.approx(row.churn_rate_in)
        else:
            known = book[row.attribute].notna().to_numpy()
            assert counts[row.attribute] == int((churned & known).sum())


def test_a_category_bar_by_hand_pools_the_rare_and_keeps_the_missing():
    frame = pd.DataFrame(
        {
            "churned": [True] * 6 + [False] * 6 + [True, False],
            "plan": ["a"] * 4 + [None] * 2 + ["b"] * 6 + ["c", "d"],
        }
    )
    values = audit_categories(frame["plan"], min_category_size=2)
    assert values.tolist() == ["a"] * 4 + ["(missing)"] * 2 + ["b"] * 6 + ["other"] * 2
    churned = frame["churned"]
    # the default pooling (10 or more) leaves no category but "other"
    assert np.flatnonzero(audit_bar_members(frame["plan"], churned, category="other")).tolist() == [
        0, 1, 2, 3, 4, 5, 12,
    ]  # fmt: skip
    # "a" is pooled away here (a larger book's chart may name it): its own customers
    a = audit_bar_members(frame["plan"], churned, category="a")
    assert np.flatnonzero(a).tolist() == [0, 1, 2, 3]
    with pytest.raises(InvalidInputError, match="category"):
        audit_bar_members(frame["plan"], churned, category="z")
    with pytest.raises(InvalidInputError, match="category"):
        audit_bar_members(frame["plan"], churned)


def test_a_flag_bar_is_said_yes_or_no_and_a_number_bar_is_the_churned_with_a_value():
    flag = pd.Series([True] * 12 + [False] * 10)
    churned = np.arange(22) % 2 == 0  # 6 of the 12 with the flag, 5 of the 10 without
    assert int(audit_bar_members(flag, churned, category="yes").sum()) == 6
    assert int(audit_bar_members(flag, churned, category="no").sum()) == 5
    with pytest.raises(InvalidInputError, match="category"):
        audit_bar_members(flag, churned, category="True")  # a flag is said yes or no
    number = pd.Series([1.0, np.nan, 3.0, 4.0])
    assert audit_bar_members(number, [True, True, False, True]).tolist() == [
        True, False, False, True,
    ]  # fmt: skip
    dates = pd.Series(pd.to_datetime(["2025-01-01"] * 4))
    with pytest.raises(InvalidInputError, match="attribute"):
        audit_bar_members(dates, [True] * 4)


def test_a_bar_in_words():
    labels = {"channel": "Acquisition channel"}
    assert audit_bar_words(labels, "channel", "ads") == (
        "Churned customers whose “Acquisition channel” is “ads”"
    )
    assert audit_bar_words({}, "first_order_value", None) == (
        "Churned customers with a value for “First order value”"
    )
