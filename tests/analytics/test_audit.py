"""Churn audit: a hand-worked chi-square, planted effects found, none found where none is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from tenure.analytics.audit import COLUMNS, churn_audit
from tenure.analytics.errors import InvalidInputError


def test_hand_worked_two_by_two():
    # Plan A: 30 of 100 churned; plan B: 10 of 100. Overall 40 of 200 = 20 %, so each plan
    # expects 20 churned and 80 retained. chi2 = 10^2/20 + 10^2/20 + 10^2/80 + 10^2/80 = 12.5
    # on 1 degree of freedom; Cramér's V = sqrt(12.5 / 200) = 0.25; A churns 30 % vs 10 %.
    frame = pd.DataFrame(
        {"plan": ["A"] * 100 + ["B"] * 100, "churned": [1] * 30 + [0] * 70 + [1] * 10 + [0] * 90}
    )
    row = churn_audit(frame, "churned").iloc[0]
    assert row["statistic"] == pytest.approx(12.5)
    assert row["p_value"] == pytest.approx(stats.chi2.sf(12.5, 1)) and row["p_value"] < 5e-4
    assert row["effect_size"] == pytest.approx(0.25)
    assert (row["category"], row["lift"]) == ("A", pytest.approx(3.0))
    assert row["finding"] == "Plan 'A' churns 3.0x as often (30 % vs 10 %)"
    assert row["significant"] and row["p_adjusted"] == row["p_value"]  # a single test


def test_hand_worked_mann_whitney():
    # Every churned value is below every retained one: U = 0, r = 2 * 0 / 9 - 1 = -1; the
    # exact two-sided p is 2 / C(6, 3) = 0.1.
    frame = pd.DataFrame({"spend": [1, 2, 3, 4, 5, 6], "churned": [True] * 3 + [False] * 3})
    row = churn_audit(frame, "churned", min_group_size=3).iloc[0]
    assert (row["statistic"], row["effect_size"]) == (0.0, -1.0)
    assert row["p_value"] == pytest.approx(0.1)
    assert row["finding"] == "Churned customers have lower spend (median 2 vs 5) (not significant)"


def _customers(seed, n=2000, planted=True):
    rng = np.random.default_rng(seed)
    band = rng.choice(["low", "mid", "high"], n)
    value = rng.lognormal(3.5, 0.8, n)
    rate = np.where(band == "low", 0.4, 0.2) if planted else np.full(n, 0.25)
    churned = rng.random(n) < rate
    if planted:  # and churned customers' first orders were smaller
        value = np.where(churned, value * 0.8, value)
    return pd.DataFrame(
        {
            "churned": churned,
            "budget_band": band,
            "category": rng.choice(["retail", "wholesale", "online", "partner"], n),
            "channel": rng.choice(["ads", "referral", "organic"], n, p=[0.5, 0.2, 0.3]),
            "company_size": rng.integers(1, 500, n),
            "first_order_value": value,
            "complaints": rng.poisson(0.3, n),
            "onboarding_completed": rng.random(n) < 0.7,
        }
    )


def test_finds_the_planted_effects():
    result = churn_audit(_customers(seed=1), "churned")
    top = result.iloc[0]
    assert (top["attribute"], top["category"]) == ("budget_band", "low")
    assert top["significant"] and 1.6 < top["lift"] < 2.5
    assert top["finding"].startswith("Budget band 'low' churns ")
    value = result.set_index("attribute").loc["first_order_value"]
    assert value["significant"] and value["effect_size"] < -0.05
    assert value["median_churned"] < value["median_retained"]
    assert value["finding"].startswith("Churned customers have lower first order value (median")
    noise = result[~result["attribute"].isin(["budget_band", "first_order_value"])]
    assert not noise["significant"].any()
    assert list(result.columns) == COLUMNS
    assert result.attrs["churned"] + result.attrs["retained"] == 2000


def test_reports_nothing_where_nothing_is_planted():
    assert not churn_audit(_customers(seed=1, planted=False), "churned")["significant"].any()


def test_false_positives_stay_rare_over_many_seeds():
    # Under the global null, BH controls the chance of any false discovery at alpha = 5 %:
    # over 40 seeds about 2 audits should flag something; allow up to 6 (binomial p < 0.02).
    flagged, p_values = 0, []
    for seed in range(100, 140):
        result = churn_audit(_customers(seed, n=1000, planted=False), "churned")
        flagged += bool(result["significant"].any())
        p_values.extend(result["p_value"].dropna())
    assert flagged <= 6
    # The raw p-values of the null tests are roughly uniform: about 5 % below 0.05.
    assert np.mean(np.array(p_values) < 0.05) < 0.1


def test_awkward_columns():
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "churned": rng.random(n) < 0.3,
            "constant": 7,
            "nothing": np.nan,
            "email": [f"c{i}@example.com" for i in range(n)],
            "city": rng.choice([f"city{i}" for i in range(40)], n),
            "region": np.where(rng.random(n) < 0.1, None, rng.choice(["north", "south"], n)),
            "signed_up": pd.Timestamp("2024-01-01"),
            "plan_code": rng.choice([1, 2, 3], n),
        }
    )
    result = churn_audit(frame, "churned", categorical=["plan_code"], max_categories=5)
    notes = result.set_index("attribute")["note"]
    assert notes["constant"] == "constant: every customer has the same value"
    assert notes["nothing"].startswith("not enough data: under 10 customers with a value")
    assert notes["email"] == "not enough data: every value is rare (under 10 customers)"
    assert notes["city"].startswith("35 rare categories pooled as 'other'")
    assert notes["signed_up"].startswith("dates are not compared")
    kinds = result.set_index("attribute")["kind"]
    assert kinds["plan_code"] == "categorical" and kinds["region"] == "categorical"
    untested = result[result["test"].isna()]
    assert untested.index.min() > result[result["test"].notna()].index.max()  # listed last
    region = churn_audit(frame, "churned", ["region"]).iloc[0]
    assert region["n"] == n  # missing is a category of its own, not dropped


def test_polars_and_labels():
    frame = pl.from_pandas(_customers(seed=2)[["churned", "budget_band"]])
    result = churn_audit(frame, "churned", labels={"budget_band": "Budget"})
    assert result.iloc[0]["finding"].startswith("Budget 'low' churns")


@pytest.mark.parametrize(
    ("churned", "message"),
    [
        ([True, False, None], "churned: has customers whose churn is unknown"),
        ([True, True, True], "churned: needs both churned and retained customers"),
        (["yes", "no", "no"], "churned: must be true/false (or 1/0)"),
    ],
)
def test_bad_churn_column(churned, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        churn_audit(pd.DataFrame({"churned": churned, "x": [1, 2, 3]}), "churned")


def test_intervals_of_the_hand_worked_two_by_two():
    # Lift 3.0 with 30 of 100 against 10 of 100: SE(ln RR) = sqrt(1/30 - 1/100 + 1/10 - 1/100)
    # = 0.33665; 3 * exp(-+1.95996 * 0.33665) = 1.5508 .. 5.8033 (Katz et al. 1978).
    frame = pd.DataFrame(
        {"plan": ["A"] * 100 + ["B"] * 100, "churned": [1] * 30 + [0] * 70 + [1] * 10 + [0] * 90}
    )
    row = churn_audit(frame, "churned").iloc[0]
    assert row["lift_low"] == pytest.approx(1.5508, abs=1e-4)
    assert row["lift_high"] == pytest.approx(5.8033, abs=1e-4)
    # Cramér's V = 0.25 lies inside its interval, whose ends put the observed chi2 = 12.5 at
    # the 97.5th and 2.5th percentiles of the noncentral chi-square (lambda = n V^2).
    assert row["effect_low"] < 0.25 < row["effect_high"]
    for v, tail in ((row["effect_low"], 0.975), (row["effect_high"], 0.025)):
        assert stats.ncx2.cdf(12.5, 1, 200 * v**2) == pytest.approx(tail, abs=1e-6)


def test_interval_of_a_weak_association_reaches_zero():
    from tenure.analytics.effect_intervals import cramers_v_interval

    # chi2 = 1 on 1 df sits at the 68th percentile of the central chi-square, below 97.5:
    # no noncentrality is needed to explain it, so the lower end is 0.
    low, high = cramers_v_interval(1.0, 100, 1, 2)
    assert low == 0.0 and 0.1 < high < 0.5


def test_rank_biserial_interval_by_hanley_mcneil():
    from tenure.analytics.effect_intervals import rank_biserial_interval

    # U = 60 of n1 n2 = 100: A = 0.6, Q1 = 0.6 / 1.4 = 0.428571, Q2 = 0.72 / 1.6 = 0.45;
    # SE^2 = (0.24 + 9 (0.428571 - 0.36) + 9 (0.45 - 0.36)) / 100 = 0.0166714, SE = 0.129118;
    # A = 0.6 -+ 1.95996 * 0.129118 = 0.346934 .. 0.853066, r = 2 A - 1.
    low, high = rank_biserial_interval(60.0, 10, 10)
    assert (low, high) == (pytest.approx(-0.306132, abs=1e-5), pytest.approx(0.706132, abs=1e-5))


def test_numbers_are_shown_in_bands():
    # Values 1..8, the lowest four churned: quartile edges 1, 2.75, 4.5, 6.25, 8.
    frame = pd.DataFrame({"spend": range(1, 9), "churned": [True] * 4 + [False] * 4})
    row = churn_audit(frame, "churned", min_group_size=3).iloc[0]
    assert row["bands"] == [
        {"band": "under 2.75", "n": 2, "churn_rate": 1.0},
        {"band": "2.75 to under 4.5", "n": 2, "churn_rate": 1.0},
        {"band": "4.5 to under 6.25", "n": 2, "churn_rate": 0.0},
        {"band": "6.25 or more", "n": 2, "churn_rate": 0.0},
    ]


def test_says_plainly_when_nothing_differs():
    result = churn_audit(_customers(seed=1, planted=False), "churned")
    assert result.attrs["tested"] == 7
    assert result.attrs["summary"] == (
        "No difference found: none of the 7 attributes tested separates churned from retained "
        "customers (false discovery rate 5 %)."
    )
    found = churn_audit(_customers(seed=1), "churned")
    assert found.attrs["summary"].startswith("2 of the 7 attributes tested differ")
    assert list(found["significant"][:2]) == [True, True]  # significant findings first
