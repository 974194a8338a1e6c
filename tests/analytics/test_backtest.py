"""The time-split backtest that chooses the churn ranking: its metrics by hand, the holdout
length, the choice never below the baseline on a business of a process none of the models has,
and a churn risk for one-time buyers that rises with their silence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.backtest import (
    BASELINE,
    MODELS,
    RANKINGS,
    Customers,
    auc,
    backtest_rankings,
    churn_probability,
    holdout_days,
    summarise,
    top_share,
)
from tenure.analytics.models import ModifiedBetaGeo
from tenure.analytics.simulate_businesses import START, generate_business


def test_auc_and_top_share_by_hand():
    # positives score 2 and 4, negatives 1 and 3: of the 4 pairs, 3 are ordered right.
    assert auc([1, 2, 3, 4], [False, True, False, True]) == 0.75
    assert auc([5, 5], [True, False]) == 0.5  # a tie counts half
    assert math.isnan(auc([1, 2], [True, True]))
    # top 10 % of 20 = 2 customers: scores 9 (positive) and one of the three tied at 8, whose
    # tie group is 1/3 positive: (1 + 1/3) / 2.
    score = [9, 8, 8, 8] + [1] * 16
    positive = [True, True, False, False] + [False] * 16
    assert top_share(score, positive, 0.1) == pytest.approx((1 + 1 / 3) / 2)


def test_summary_counts_purchase_days_and_the_holdout_follows_the_rhythm():
    # Customer 1 buys on days 0, 0 (twice), 20, 40; customer 2 on day 10 only.
    data, last = summarise([1, 1, 1, 1, 2], [0, 0.5, 20, 40, 10], end=40)
    assert data.ids.tolist() == [1, 2]
    assert data.frequency.tolist() == [2, 0] and data.recency.tolist() == [40, 0]
    assert data.T.tolist() == [40, 30] and last.tolist() == [40, 10]
    # Median usual gap 20 days: h = 3 x 20 = 60, but at most half the history (40 / 2 = 20).
    assert holdout_days(data) == 20
    long = Customers(np.arange(3), np.array([1.0, 2, 4]), np.array([20.0, 40, 80]),
                     np.full(3, 1000.0))  # fmt: skip
    assert holdout_days(long) == 60  # gaps 20, 20, 20
    slow = Customers(np.arange(2), np.array([1.0, 1]), np.array([500.0, 500]), np.full(2, 2000.0))
    assert holdout_days(slow) == 365  # 3 x 500 capped at a year
    quick = Customers(np.arange(2), np.array([5.0, 5]), np.array([10.0, 10]), np.full(2, 900.0))
    assert holdout_days(quick) == 30  # 3 x 2 raised to 30 days


def test_no_rhythm_means_no_backtest_and_the_baseline():
    result = backtest_rankings([1, 2, 3], [0, 5, 9], observation_end=30)
    assert not result.ran and result.chosen == BASELINE
    assert "no customer has bought on two different days" in result.reason
    assert result.as_dict()["candidates"][0]["auc"] is None


def _columns(business):
    orders = business.orders[business.orders["status"] == "completed"]
    customer = orders["customer_id"].str[1:].astype(int).to_numpy()
    day = (pd.to_datetime(orders["placed_at"]) - pd.Timestamp(START)).dt.days.to_numpy()
    end = (pd.Timestamp(business.observation_end) - pd.Timestamp(START)).days
    return customer, day, end


def _quick(name, data):
    """Pareto/NBD runs off to infinity on these businesses: give it 2 s, not 30. Only it: a
    limit on the others would make the test depend on how busy the machine is."""
    limit = 2 if name == "ParetoNBD" else None
    return MODELS[name](max_seconds=limit).fit(data.frequency, data.recency, data.T)


def test_the_chosen_ranking_is_never_below_days_since_the_last_order():
    business = generate_business("plan_dropout", customers=3000, seed=4)
    customer, day, end = _columns(business)
    result = backtest_rankings(customer, day, observation_end=end)
    assert result.ran and 30 <= result.holdout_days <= 365
    baseline = result.auc_of(BASELINE)
    chosen = result.auc_of(result.chosen)
    assert chosen is not None and baseline is not None and chosen >= baseline > 0.8
    assert set(result.candidates) == set(RANKINGS)
    stored = result.as_dict()
    assert stored["chosen"] == result.chosen and stored["holdout_days"] == result.holdout_days
    assert 0 < stored["lapsed"] < stored["customers"]
    # The models it scored are the calibration fits, kept for a warm start.
    assert {"BetaGeo", "ModifiedBetaGeo"} <= set(result.fitted)


def test_one_time_buyers_get_a_churn_risk_that_rises_with_their_silence():
    business = generate_business("one_time_buyers", customers=3000, seed=2)
    customer, day, end = _columns(business)

    result = backtest_rankings(customer, day, observation_end=end, fit=_quick)
    assert result.auc_of(result.chosen) >= result.auc_of(BASELINE)
    # BG/NBD calls every one-time buyer alive: it ranks them worse, or (as with SciPy 1.17)
    # its likelihood is flat and it is not fitted at all; MBG/NBD is fitted and ranks better.
    mbg, bg = result.auc_of("mbg_nbd"), result.auc_of("bg_nbd")
    assert mbg is not None
    assert bg is None or mbg > bg
    assert "ParetoNBD" not in result.fitted or result.candidates["pareto_nbd"].auc is not None
    data, _ = summarise(customer, day, end=end)
    model = ModifiedBetaGeo().fit(data.frequency, data.recency, data.T)
    silent = Customers(np.arange(4), np.zeros(4), np.zeros(4), np.array([10.0, 100, 400, 900]))
    risk = churn_probability(result, silent, model=model)
    assert np.all(risk > 0) and np.all(np.diff(risk) > 0)
    assert risk[-1] > 0.5  # silent 900 days after one order: more likely gone than not


def test_a_baseline_churn_risk_is_the_calibrated_share_that_lapsed():
    business = generate_business("seasonal", customers=3000, seed=3)
    customer, day, end = _columns(business)
    result = backtest_rankings(customer, day, observation_end=end, fit=_quick)
    # Seasonal buying fools the models' steady rates: the days since the last order win.
    assert result.chosen == BASELINE
    forced = type(result)(**{**result.__dict__, "chosen": BASELINE})
    forced.calibration = None
    silent = Customers(np.arange(3), np.ones(3), np.zeros(3), np.array([30.0, 90, 400]))
    # Without a calibration: the silence over three usual gaps, capped at 1.
    plain = churn_probability(forced, silent)
    assert np.all(np.diff(plain) > 0) and plain.max() <= 1
    assert result.calibration is not None and result.calibration[1] > 0
    calibrated = churn_probability(result, silent)
    assert np.all(np.diff(calibrated) > 0) and np.all((calibrated > 0) & (calibrated < 1))


def test_pareto_nbd_at_its_boundary_stops_soon_with_the_reason():
    # Trial buyers who never return and the rest with lognormal lifetimes: Pareto/NBD's best
    # fit has one dropout rate for everyone (s, beta -> infinity), where its series would need
    # 100,000 terms a customer. It stops there, saying why; MBG/NBD fits the same data.
    from tenure.analytics.errors import FitError
    from tenure.analytics.models import ParetoNBD

    business = generate_business("one_time_buyers", customers=3000, seed=2)
    customer, day, end = _columns(business)
    data, _ = summarise(customer, day, end=end)
    with pytest.raises(FitError, match="dropout rates that hardly vary between customers"):
        ParetoNBD().fit(data.frequency, data.recency, data.T)
    assert ModifiedBetaGeo().fit(data.frequency, data.recency, data.T).params_["a"] > 0
