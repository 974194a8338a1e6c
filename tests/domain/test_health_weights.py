"""Health weights fitted to the history, the defaults as prior; health scored by the backtest."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.backtest import auc
from tenure.analytics.errors import InvalidInputError
from tenure.domain.health import health_config_validate
from tenure.domain.health_backtest import ROWS, health_backtest
from tenure.domain.health_weights import config_with_weights, weights_fit

NAN = math.nan


def _two_components(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Recency decides who lapses; complaints are noise."""
    rng = np.random.default_rng(seed)
    recency = rng.uniform(0, 100, n)
    complaints = rng.choice([0.0, 50.0, 100.0], n)
    lapsed = rng.random(n) < 1 / (1 + np.exp(-(3 - 6 * recency / 100)))
    return pd.DataFrame({"recency": recency, "complaints": complaints}), lapsed


def test_auc_on_a_tiny_example_by_hand():
    # Lapsed at scores 2 and 4, returning at 1 and 3: of the 4 pairs, 3 rank the lapsed higher.
    assert auc([1, 2, 3, 4], [False, True, False, True]) == 0.75
    # A tie between a lapsed and a returning customer counts half: (1 + 0.5) / 2.
    assert auc([1, 2, 2], [False, True, False]) == 0.75


def test_a_strong_prior_gives_the_defaults_back():
    components, lapsed = _two_components()
    fit = weights_fit(components, lapsed, {"recency": 25, "complaints": 15}, prior_sd=1e-6)
    assert fit.weights == pytest.approx({"recency": 25, "complaints": 15}, abs=0.01)
    assert fit.customers == 2000 and fit.lapsed == int(lapsed.sum()) and fit.converged


def test_a_weak_prior_lets_the_history_move_the_weights_toward_what_predicts():
    components, lapsed = _two_components()
    prior = {"recency": 25, "complaints": 15}
    loose = weights_fit(components, lapsed, prior, prior_sd=10.0)
    middle = weights_fit(components, lapsed, prior, prior_sd=0.05)
    # The noise component loses weight, the more so the weaker the prior; the sum stays 40.
    assert loose.weights["complaints"] < middle.weights["complaints"] < 15
    assert loose.weights["complaints"] < 3
    assert sum(loose.weights.values()) == pytest.approx(40, abs=0.02)
    assert loose.scale > 0


def test_a_single_component_takes_the_whole_total_and_missing_values_are_allowed():
    components, lapsed = _two_components(500)
    one = components[["recency"]].copy()
    one.iloc[::7, 0] = NAN
    fit = weights_fit(one, lapsed, {"recency": 25})
    assert fit.weights == {"recency": 25.0}


@pytest.mark.parametrize(
    ("lapsed", "prior", "problem"),
    [
        (np.zeros(4, bool), {"recency": 1}, "needs both lapsed and returning customers"),
        (np.array([True, False]), {"recency": 1}, "has 2 values for 4 customers"),
        (np.array([True, False, True, False]), {}, "has no weight for recency"),
        (np.array([True, False, True, False]), {"recency": 0}, "the weights add up to 0"),
    ],
)
def test_bad_inputs_are_named(lapsed, prior, problem):
    with pytest.raises(InvalidInputError) as caught:
        weights_fit(pd.DataFrame({"recency": [10.0, 20, 30, 40]}), lapsed, prior)
    assert problem in str(caught.value)


def test_config_with_weights_keeps_everything_else():
    config = health_config_validate({"components": {"recency": {"zero_at": 4}}})
    mine = config_with_weights(config, {"recency": 40, "renewal": 0})
    assert mine.params["recency"] == {"weight": 40, "full_at": 1.0, "zero_at": 4}
    assert "renewal" not in mine.active and mine.bands == config.bands


# --- the backtest ------------------------------------------------------------------------------


def _orders(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """300 customers buying every 10 days from day 0; half stop at a day between 100 and 290."""
    rng = np.random.default_rng(seed)
    who, when = [], []
    for c in range(300):
        stop = 400 if c % 2 else rng.integers(100, 290)
        days = np.arange(rng.integers(0, 10), min(stop, 300), 10)
        who += [c] * days.size
        when += days.tolist()
    return np.array(who), np.array(when, dtype=float)


def test_health_is_backtested_beside_days_since_and_the_chosen_ranking_without_peeking():
    who, when = _orders()
    asked: list[int] = []

    def facts_at(day: int, ids: np.ndarray) -> pd.DataFrame:
        asked.append(day)
        seen = when <= day
        last = pd.Series(when[seen]).groupby(who[seen]).max().reindex(ids)
        return pd.DataFrame(
            {"days_since_last_order": day - last.to_numpy(), "typical_gap_days": 10.0,
             "orders_last_90d": NAN, "orders_prior_90d": NAN, "spend_last_90d": NAN,
             "spend_prior_90d": NAN, "open_complaints": 0.0, "latest_nps": NAN,
             "latest_csat": NAN, "emails_engaged_90d": NAN, "emails_sent_90d": NAN,
             "contacts_engaged_90d": NAN, "days_to_renewal": NAN},
            index=ids,
        )  # fmt: skip

    config = health_config_validate()
    result = health_backtest(who, when, observation_end=299, facts_at=facts_at, config=config,
                             holdout=30)  # fmt: skip
    assert result.ran and result.holdout_days == 30 and result.calibration_end == 269
    # Scored at the cut from the facts then; the weights fitted one holdout earlier.
    assert asked == [269, 239]
    assert list(result.rows) == list(ROWS)
    assert all(row.auc is not None for row in result.rows.values()), result.rows
    # Recency is all health knows here: it ranks like days since the last order.
    assert result.auc_of("health_default") > 0.9 and result.auc_of("days_since_last_order") > 0.9
    assert result.fitted is not None and set(result.fitted.weights) == set(config.active)
    stored = result.as_dict()
    assert stored["fitted_weights"] == result.fitted.weights and len(stored["rows"]) == 4


def test_no_orders_or_no_rhythm_says_why():
    config = health_config_validate()
    nothing = health_backtest([], [], observation_end=10, facts_at=lambda d, i: pd.DataFrame(),
                              config=config)  # fmt: skip
    assert not nothing.ran and "no rhythm" in nothing.reason
    assert nothing.rows["health_default"].auc is None
