"""Health score: hand-worked values, missing data, bands, words, configuration checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.domain.health import (
    COMPONENTS,
    health_config_validate,
    health_explanation,
    health_scores,
    health_trend,
)
from tenure.domain.lifecycle import DefinitionError

NAN = math.nan
# Four customers, worked by hand below.
FACTS = pd.DataFrame(
    {
        "days_since_last_order": [94, 10, NAN, 5],
        "typical_gap_days": [30, 30, NAN, 10],
        "orders_last_90d": [1, 3, NAN, 2],
        "orders_prior_90d": [4, 3, NAN, 0],
        "spend_last_90d": [50.0, 300.0, NAN, 0.0],
        "spend_prior_90d": [200.0, 200.0, NAN, 0.0],
        "open_complaints": [2, 0, 1, 0],
        "latest_nps": [3, 8, NAN, NAN],
        "latest_csat": [NAN, 4, NAN, NAN],
        "emails_engaged_90d": [2, 5, NAN, 0],
        "emails_sent_90d": [10, 10, NAN, 0],
        "contacts_engaged_90d": [NAN, 2, NAN, NAN],
        "days_to_renewal": [NAN, 30, NAN, NAN],
    },
    index=["ann", "bob", "cat", "dan"],
)


def test_hand_worked_scores():
    h = health_scores(FACTS)
    # ann: recency 94/30 = 3.13 gaps -> 0; orders 1/4 -> 25; spend 50/200 -> 25; 2 complaints
    # -> 0; NPS 3 -> 0 (no CSAT); emails 2/10 = 0.2 of 0.4 -> 50; relationship and renewal:
    # no data, so the weights are 25+15+10+15+15+10 = 90:
    # (15*25 + 10*25 + 10*50) / 90 = 1125 / 90 = 12.5.
    # bob: recency 10/30 -> 100; orders 3/3 -> 100; spend 300/200 -> 100; complaints 0 -> 100;
    # NPS 8 -> (8-3)/6 = 83.33, CSAT 4 -> 75, sentiment = 79.17; emails 0.5 -> 100; contacts 2
    # -> 50; renewal in 30 days -> (30+90)/180 = 66.67. Weights sum to 100:
    # (2500 + 1500 + 1000 + 1500 + 15*79.1667 + 1000 + 5*50 + 5*66.667) / 100 = 92.708.
    # cat: only the complaints component has data: 1 of 2 -> 50, and 50 is red.
    # dan: recency 0.5 gap -> 100; 2 orders against 0 -> 100; no spend in either period, no
    # email sent: no data; 0 complaints -> 100. Score 100.
    np.testing.assert_allclose(h.score, [12.5, 92.708333, 50.0, 100.0], atol=1e-5)
    assert h.band_keys().tolist() == ["red", "green", "red", "green"]
    assert h.components.loc["bob", "sentiment"] == pytest.approx(79.166667)
    np.testing.assert_allclose(h.weights.sum(axis=1), 1.0)
    assert h.weights.loc["ann", "relationship"] == 0 and h.weights.loc["ann", "recency"] == 25 / 90
    np.testing.assert_allclose((h.components.fillna(0) * h.weights).sum(axis=1), h.score)


def test_drivers_in_words():
    h = health_scores(FACTS)
    assert h.explain() == [
        "13 (red). No order for 94 days, 3.1 \N{MULTIPLICATION SIGN} their usual gap. "
        "2 open complaints. Latest NPS 3 (a detractor). No data for relationship breadth "
        "(single-threaded), renewal coming up: their weight went to the others.",
        "93 (green). Latest NPS 8 (a passive), latest CSAT 4 out of 5. 2 contacts engaged in "
        "the last 90 days. Renewal in 30 days.",
        "50 (red). 1 open complaint. No data for recency against their own rhythm, order "
        "frequency trend, spend trend, latest NPS / CSAT, engagement with emails, relationship "
        "breadth (single-threaded), renewal coming up: their weight went to the others.",
        "100 (green). Every component at full marks. No data for spend trend, latest NPS / "
        "CSAT, engagement with emails, relationship breadth (single-threaded), renewal coming "
        "up: their weight went to the others.",
    ]
    keys = list(h.components.columns)
    # ann lost 25*100 = 2500 weighted points on recency, 15*100 on complaints and on NPS.
    assert [keys[c] for c in h.drivers(3)[0]] == ["recency", "complaints", "sentiment"]
    assert h.drivers(2)[3].tolist() == [-1, -1]


@pytest.mark.parametrize(
    ("score", "band"), [(0, "red"), (50, "red"), (50.2, "yellow"), (75, "yellow"), (76, "green")]
)
def test_bands_hold_scores_up_to_their_bound(score, band):
    # A single component with data: the renewal score is 100 * (days + 90) / 180; pick days
    # for score (complaints would also cap the score: an open one is a ceiling).
    config = health_config_validate(
        {"components": {key: {"weight": 0} for key in COMPONENTS if key != "renewal"}}
    )
    days = 180 * score / 100 - 90
    h = health_scores({"days_to_renewal": [days]}, config)
    assert h.score[0] == pytest.approx(score) and h.band_keys()[0] == band


def test_configured_weights_anchors_and_bands():
    config = health_config_validate(
        {
            "components": {
                "recency": {"weight": 1, "zero_at": 4, "full_at": 2},
                **{key: {"weight": 0} for key in COMPONENTS if key != "recency"},
            },
            "bands": [{"key": "bad", "upto": 30}, {"key": "good", "name": "Fine", "upto": 100}],
            "ceilings": {"silence": False},
        }
    )
    assert config.facts_used == {"days_since_last_order", "typical_gap_days"}
    h = health_scores(
        {"days_since_last_order": [30, 90, 150], "typical_gap_days": [30] * 3}, config
    )
    # 1, 3 and 5 gaps: 100 (below full_at 2), halfway (50), 0 (beyond zero_at 4).
    np.testing.assert_allclose(h.score, [100, 50, 0])
    assert h.band_keys().tolist() == ["good", "good", "bad"]
    assert h.explain([2]) == [
        "0 (bad). No order for 150 days, 5.0 \N{MULTIPLICATION SIGN} their usual gap."
    ]
    assert config.definition["bands"][1] == {"key": "good", "name": "Fine", "upto": 100.0}


def test_no_data_at_all_gives_no_score():
    h = health_scores(FACTS.iloc[[2]].assign(open_complaints=NAN))
    assert math.isnan(h.score[0]) and h.band_keys()[0] is None
    assert h.explain() == ["No health score: no component has data for this customer."]


def test_trend_arrows():
    assert health_trend([50, 50, 50, NAN], [60, 45, 53, 80]).tolist() == [1, 0, 0, 0]
    assert health_trend([50], [44]).tolist() == [-1]


def test_vectorised_on_a_large_base():
    rng = np.random.default_rng(0)
    n = 200_000
    facts = {name: rng.uniform(0, 100, n) for name in health_config_validate().facts_used}
    facts["latest_nps"] = np.where(rng.random(n) < 0.5, rng.integers(0, 11, n), NAN)
    facts["open_complaints"] = rng.integers(0, 2, n) * 1.0
    h = health_scores(facts)
    assert h.score.shape == (n,) and np.nanmin(h.score) >= 0 and np.nanmax(h.score) <= 100
    assert set(h.band_keys().tolist()) == {"red", "yellow", "green"}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"components": {"recency": {"weight": -1}}},
         "components.recency.weight: must be a number >= 0, got -1"),
        ({"components": {"recencyy": {"weight": 1}}},
         'components.recencyy: unknown component (did you mean "recency"?)'),
        ({"components": {"recency": {"wieght": 1}}},
         'components.recency.wieght: unknown setting (did you mean "weight"?)'),
        ({"components": {"recency": {"weight": "1"}}},
         "components.recency.weight: must be a number, got '1'"),
        ({"components": {"recency": {"full_at": 3}}},
         "components.recency.full_at: must differ from zero_at (3)"),
        ({"components": {key: {"weight": 0} for key in COMPONENTS}},
         "components: the weights add up to 0: give at least one component a weight"),
        ({"bands": [{"key": "red", "upto": 75}, {"key": "yellow", "upto": 50},
                    {"key": "green", "upto": 100}]},
         "bands[1].upto: must be above bands[0].upto (75)"),
        ({"bands": [{"key": "red", "upto": 50}, {"key": "green", "upto": 90}]},
         "bands[1].upto: the last band must go up to 100"),
        ({"bands": [{"key": "red", "upto": 150}]},
         "bands[0].upto: must be a number from 0 to 100, got 150"),
        ({"band": []}, 'band: unknown key "band" (did you mean "bands"?)'),
    ],
)  # fmt: skip
def test_refused_configurations(data, problem):
    with pytest.raises(DefinitionError) as caught:
        health_config_validate(data)
    assert [str(p) for p in caught.value.problems] == [problem]


def test_missing_fact_columns_are_named():
    with pytest.raises(InvalidInputError, match="latest_csat: is read by the sentiment component"):
        health_scores(FACTS.drop(columns="latest_csat"))
    with pytest.raises(InvalidInputError, match="has 1 values for 4 customers"):
        health_scores({**{k: v.to_numpy() for k, v in FACTS.items()}, "latest_csat": [1.0]})


# --- the stored form: drivers with their facts, words rendered when read ----------------------


def test_stored_drivers_and_components_hand_worked():
    h = health_scores(FACTS)
    # ann (worked above) lost 2500 weighted points on recency, 1500 on complaints, 1500 on NPS
    # (complaints first: the earlier column wins a tie), 1125 on orders: the top three, each
    # with the facts its words read; latest_csat has no answer and is left out.
    assert h.drivers_stored()[0] == [
        ["recency", {"days_since_last_order": 94.0, "typical_gap_days": 30.0}],
        ["complaints", {"open_complaints": 2.0}],
        ["sentiment", {"latest_nps": 3.0}],
    ]
    # dan: every component with data at full marks: no driver.
    assert h.drivers_stored([3]) == [[]]
    assert h.components_stored([0]) == [
        {"recency": 0.0, "frequency_trend": 25.0, "spend_trend": 25.0, "complaints": 0.0,
         "sentiment": 0.0, "email_engagement": 50.0}
    ]  # fmt: skip
    # bob's sentiment 79.1667 is kept to one decimal; the text is valid JSON.
    assert json.loads(h.components_json([1])[0])["sentiment"] == 79.2
    assert json.loads(h.drivers_json([0])[0]) == h.drivers_stored([0])[0]


def test_driver_facts_are_rounded_and_non_finite_left_out():
    facts = FACTS.iloc[[0]].assign(days_since_last_order=94.23817, typical_gap_days=math.inf)
    config = health_config_validate(
        {
            "components": {key: {"weight": 0} for key in COMPONENTS if key != "recency"},
            "ceilings": {"complaint": False, "silence": False},
        }
    )
    # An infinite gap gives a recency of 0 gaps (full marks): no driver. A gap of 30 does.
    assert health_scores(facts, config).drivers_stored() == [[]]
    h = health_scores(facts.assign(typical_gap_days=30.0), config)
    assert h.drivers_stored() == [
        [["recency", {"days_since_last_order": 94.24, "typical_gap_days": 30.0}]]
    ]
    h = health_scores(facts.assign(typical_gap_days=30.0, days_since_last_order=NAN), config)
    assert math.isnan(h.score[0]) and h.drivers_stored() == [[]]


def test_explanation_from_the_stored_form_is_the_explain_sentence():
    h = health_scores(FACTS)
    stored = [
        health_explanation(score, band, parts, why)
        for score, band, parts, why in zip(
            np.round(h.score, 2).tolist(), h.band_keys().tolist(), h.components_stored(),
            h.drivers_stored(), strict=True,
        )
    ]  # fmt: skip
    assert stored == h.explain()
    assert stored[0].startswith("13 (red). No order for 94 days, 3.1 \N{MULTIPLICATION SIGN}")
    # A score stored before the drivers were has no words; an account says so of itself.
    assert health_explanation(40.0, "red", {}, None) == ""
    assert (
        health_explanation(None, "", {}, [], subject="account")
        == "No health score: no component has data for this account."
    )


def test_relationship_words_from_none_to_many():
    words = COMPONENTS["relationship"].words

    def said(contacts: float, team: float = NAN) -> str:
        return words({"contacts_engaged_90d": contacts, "team_engaged_90d": team}, 0.0)

    assert said(0.0) == "No contact engaged in the last 90 days"
    assert said(1.0) == "Single-threaded: 1 contact engaged in the last 90 days"
    assert said(4.0) == "4 contacts engaged in the last 90 days"
    assert said(4.0, 1.0) == (
        "4 contacts engaged in the last 90 days, one team member alone looks after them "
        "(single-threaded)"
    )
    assert said(NAN, 0.0) == "No one on the team looked after them"
    assert said(NAN, 3.0) == "3 team members look after them"


def test_the_relationship_is_as_broad_as_its_thinner_side():
    # Contacts: 100 at 3, 0 at 1 (2 -> 50); the team: 100 at 2, 0 at 1. The component is the
    # lower of the two sides that have data; NaN only when neither has.
    contacts = [3, 3, 2, 2, NAN, NAN, 1, NAN]
    team = [2, 1, 5, NAN, 1, 2, 3, NAN]
    frame = FACTS.iloc[[1] * 8].reset_index(drop=True)
    frame["contacts_engaged_90d"] = contacts
    frame["team_engaged_90d"] = team
    h = health_scores(frame)
    np.testing.assert_allclose(
        h.components["relationship"], [100, 0, 50, 50, 0, 100, 0, NAN], equal_nan=True
    )
    # bob's 92.708 had relationship 50 (2 contacts); a team of one takes those 5 x 50 points:
    assert h.score[0] == pytest.approx(92.708333 + 5 * 50 / 100, abs=1e-5)
    assert h.score[1] == pytest.approx(92.708333 - 5 * 50 / 100, abs=1e-5)
    # Without the team's column (a plain DataFrame from before it existed): the contacts alone.
    assert "team_engaged_90d" not in FACTS
    assert health_scores(FACTS).components.loc["bob", "relationship"] == pytest.approx(50)
    assert "one team member alone looks after them" in h.explain([1])[0]


def test_the_team_anchors_are_settings():
    config = health_config_validate(
        {"components": {"relationship": {"team_full_at": 4, "team_zero_at": 0}}}
    )
    frame = FACTS.iloc[[1]].reset_index(drop=True)
    frame["contacts_engaged_90d"] = [NAN]
    frame["team_engaged_90d"] = [1]
    assert health_scores(frame, config).components.loc[0, "relationship"] == pytest.approx(25)
    with pytest.raises(DefinitionError, match="team_full_at"):
        health_config_validate(
            {"components": {"relationship": {"team_full_at": 1, "team_zero_at": 1}}}
        )
