"""Ceilings: a strong sign the business sees keeps a customer out of green, and says why."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tenure.domain.health import health_config_validate, health_explanation, health_scores
from tenure.domain.health_ceilings import CEILING_FACTS, ceiling_top
from tenure.domain.lifecycle.model import DefinitionError

NAN = math.nan
TIMES = "\N{MULTIPLICATION SIGN}"


def _healthy(**changes: float) -> dict[str, list[float]]:
    """One customer with every component at full marks (score 100), then ``changes``."""
    facts = {
        "days_since_last_order": 5.0, "typical_gap_days": 30.0, "orders_last_90d": 3.0,
        "orders_prior_90d": 3.0, "spend_last_90d": 300.0, "spend_prior_90d": 300.0,
        "open_complaints": 0.0, "latest_nps": 10.0, "days_since_nps": 5.0, "latest_csat": 5.0,
        "days_since_csat": 5.0, "emails_engaged_90d": 4.0, "emails_sent_90d": 10.0,
        "contacts_engaged_90d": 3.0, "days_to_renewal": 200.0, "churn_risk": 0.1,
        "in_at_risk_stage": 0.0,
    }  # fmt: skip
    facts |= changes
    return {name: [value] for name, value in facts.items()}


def test_a_healthy_customer_is_green_at_100():
    h = health_scores(_healthy())
    assert h.score[0] == pytest.approx(100) and h.band_keys()[0] == "green"
    assert not h.capped()[0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"latest_csat": 1.0, "days_since_csat": 10.0},
         "latest CSAT 1 out of 5, 10 days ago"),
        ({"latest_csat": 2.0, "days_since_csat": 90.0}, "latest CSAT 2 out of 5, 90 days ago"),
        # The lowest answer caps whatever its age, until the customer answers again.
        ({"latest_csat": 1.0, "days_since_csat": 700.0}, "latest CSAT 1 out of 5, 700 days ago"),
        ({"latest_nps": 6.0, "days_since_nps": 3.0}, "latest NPS 6 (a detractor), 3 days ago"),
        ({"latest_nps": 0.0, "days_since_nps": 1.0}, "latest NPS 0 (a detractor), 1 day ago"),
        ({"open_complaints": 1.0}, "1 complaint still open"),
        ({"days_since_last_order": 61.0},
         f"no order for 61 days, more than twice their usual gap of 30 days (2.0 {TIMES})"),
        ({"churn_risk": 0.5}, "churn risk 50 % (the at-risk ranking), 50 % or more"),
        ({"in_at_risk_stage": 1.0}, "in the at-risk stage of the lifecycle"),
    ],
)  # fmt: skip
def test_each_strong_sign_caps_a_green_customer_at_yellow_and_says_why(changes, reason):
    h = health_scores(_healthy(**changes))
    # Every one of these costs a component at most 25 of 100 points: the mean alone stays green.
    assert h.uncapped is not None and h.uncapped[0] > 75
    assert h.score[0] == 75 and h.band_keys()[0] == "yellow" and h.capped()[0]
    text = h.explain()[0]
    assert text.startswith(f"75 (yellow). Capped at yellow: {reason}."), text
    # The stored form says the same.
    stored = health_explanation(
        75.0, "yellow", h.components_stored()[0], h.drivers_stored()[0], h.config
    )
    assert stored == text


@pytest.mark.parametrize(
    "changes",
    [
        {"latest_csat": 3.0, "days_since_csat": 1.0},  # not a low CSAT
        {"latest_csat": 2.0, "days_since_csat": 91.0},  # low, but not fresh
        {"latest_nps": 7.0, "days_since_nps": 1.0},  # a passive, not a detractor
        {"latest_nps": 2.0, "days_since_nps": 120.0},
        {"days_since_last_order": 59.0},  # under twice the gap of 30
        {"churn_risk": 0.49},
        {"churn_risk": NAN},  # no fit covers them
    ],
)
def test_signs_below_the_thresholds_or_stale_do_not_cap(changes):
    h = health_scores(_healthy(**changes))
    assert not h.capped()[0] and h.band_keys()[0] == "green"


def test_a_ceiling_never_raises_a_score_and_names_no_cap_below_it():
    facts = _healthy(days_since_last_order=200.0, orders_last_90d=0.0, spend_last_90d=0.0,
                     latest_csat=1.0, days_since_csat=2.0, latest_nps=1.0)  # fmt: skip
    h = health_scores(facts)
    assert h.score[0] < 75 and not h.capped()[0]
    assert "Capped" not in h.explain()[0]


def test_several_ceilings_are_all_named_first():
    h = health_scores(_healthy(open_complaints=1.0, in_at_risk_stage=1.0))
    keys = [key for key, _facts in h.drivers_stored()[0]]
    assert keys[:2] == ["cap:complaint", "cap:at_risk_stage"]


def test_a_ceiling_switched_off_or_without_its_facts_is_not_checked():
    off = health_config_validate({"ceilings": {"complaint": False}})
    assert health_scores(_healthy(open_complaints=1.0), off).band_keys()[0] == "green"
    facts = _healthy(churn_risk=0.9)
    del facts["churn_risk"]
    assert health_scores(facts).band_keys()[0] == "green"
    assert "open_complaints" not in off.ceiling_facts and "churn_risk" in off.ceiling_facts
    assert health_config_validate().ceiling_facts == frozenset(CEILING_FACTS)


def test_the_cap_is_the_top_of_the_band_below_the_best():
    config = health_config_validate(
        {"bands": [{"key": "low", "upto": 40}, {"key": "mid", "upto": 60},
                   {"key": "high", "name": "High", "upto": 100}]}
    )  # fmt: skip
    h = health_scores(_healthy(latest_csat=1.0, days_since_csat=0.0), config)
    assert h.score[0] == 60 and h.band_keys()[0] == "mid"
    assert h.explain()[0].startswith("60 (mid). Capped at mid: latest CSAT 1")
    single = health_config_validate({"bands": [{"key": "all", "upto": 100}]})
    assert ceiling_top(single.bands) is None
    assert health_scores(_healthy(open_complaints=3.0), single).score[0] > 75


def test_ceilings_are_vectorised():
    n = 10_000
    facts = {name: np.repeat(values, n) for name, values in _healthy().items()}
    facts["open_complaints"] = np.arange(n) % 2 * 1.0
    h = health_scores(facts)
    assert (h.band_keys()[1::2] == "yellow").all() and (h.band_keys()[::2] == "green").all()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"ceilings": {"silense": False}},
         'ceilings.silense: unknown ceiling (did you mean "silence"?)'),
        ({"ceilings": {"csat": "no"}}, "ceilings.csat: must be true or false, got 'no'"),
        ({"ceilings": []}, 'ceilings: must be an object such as {"silence": false}'),
    ],
)  # fmt: skip
def test_ceiling_settings_are_checked(data, problem):
    with pytest.raises(DefinitionError) as caught:
        health_config_validate(data)
    assert problem in str(caught.value)
