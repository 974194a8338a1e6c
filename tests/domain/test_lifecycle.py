"""Lifecycle engine: scenario walks through every stage, rule edits, refused definitions, and
bulk = incremental by construction."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics.errors import InvalidInputError
from tenure.domain.lifecycle import (
    FACTS,
    DefinitionError,
    LifecycleCycleError,
    definition_validate,
    lifecycle_evaluate,
    preset_definition,
    preset_model,
)

NAN = math.nan
# A known customer with nothing yet. typical_gap_days for a one-order customer is the
# population's median gap; these scenarios take it to be 30 days.
BLANK = {
    "orders_count": 0,
    "first_order_days_ago": NAN,
    "days_since_last_order": NAN,
    "typical_gap_days": NAN,
    "p_alive": NAN,
    "expected_purchases_365": NAN,
    "has_active_subscription": False,
    "subscription_cancelled": False,
    "days_since_cancellation": NAN,
    "referrals_count": 0,
    "latest_nps": NAN,
    "open_complaints": 0,
    "is_lead": False,
    "interactions_count": 0,
    "meetings_count": 0,
    "days_in_stage": NAN,
}
POPULATION_GAP = 30.0
CLOCKS = ("first_order_days_ago", "days_since_last_order", "days_since_cancellation")


class Customer:
    """One customer whose facts change by real events; ``evaluate`` is the incremental update
    the Django side runs when an event arrives (stage kept, days_in_stage restarted)."""

    def __init__(self, model):
        self.model = model
        self.stage = None
        self.facts = dict(BLANK)
        self.order_days: list[float] = []  # days ago of each order

    def advance(self, days):
        for name in (*CLOCKS, "days_in_stage"):
            self.facts[name] += days  # NaN stays NaN
        self.order_days = [ago + days for ago in self.order_days]
        return self

    def order(self):
        self.order_days.append(0.0)
        first = max(self.order_days)
        n = len(self.order_days)
        self.facts.update(
            orders_count=n,
            first_order_days_ago=first,
            days_since_last_order=0.0,
            typical_gap_days=first / (n - 1) if n > 1 else POPULATION_GAP,
            is_lead=False,
        )
        return self

    def set(self, **facts):
        self.facts.update(facts)
        return self

    def evaluate(self):
        result = lifecycle_evaluate(
            self.model, {k: [v] for k, v in self.facts.items()}, [self.stage]
        )
        self.last = result
        if result.changed[0]:
            self.stage = result.stage_keys()[0]
            self.facts["days_in_stage"] = 0.0
        return self.stage, result.rule_names()[0], result.reasons()[0]


def test_default_walk_through_every_stage():
    c = Customer(preset_model("default"))
    assert c.set(is_lead=True).evaluate() == ("reach", "lead", "A new lead, not a customer yet")
    assert c.advance(5).evaluate() == ("reach", None, None)  # nothing happened: stays
    assert c.order().evaluate() == ("acquisition", "first_order", "First purchase, 0 days ago")
    assert c.advance(13).evaluate()[0] == "acquisition"
    assert c.advance(1).evaluate() == (
        "development",
        "onboarded",
        "Onboarding over: first order 14 days ago, no second one yet",
    )
    assert c.advance(16).order().evaluate() == (
        "retention",
        "repeat_purchase",
        "Bought again: 2 orders, the first 30 days ago",
    )
    assert c.set(latest_nps=10).evaluate() == (
        "advocacy",
        "promoter",
        "A promoter: latest NPS answer 10 out of 10",
    )
    assert c.advance(59).evaluate()[0] == "advocacy"
    assert c.advance(1).evaluate() == (
        "at_risk",
        "slowing_down",
        "No order for 60 days; their usual gap is 30 days (at risk from 2 x the gap)",
    )
    assert c.advance(30).evaluate() == (
        "churned",
        "gone_silent",
        "No order for 90 days; their usual gap is 30 days (churned at 3 x the gap)",
    )
    c.set(latest_nps=8)  # answered a survey while away
    assert c.advance(100).evaluate()[0] == "churned"
    assert c.order().evaluate() == (
        "won_back",
        "won_back",
        "Bought again after churning (last order 0 days ago)",
    )
    assert c.order().evaluate()[0] == "won_back"  # a second order the same day is no repeat
    assert c.advance(20).order().evaluate() == (
        "retention",
        "repeat_after_return",
        "Bought again since coming back (last order 0 days ago)",
    )
    assert c.set(referrals_count=1).evaluate() == (
        "advocacy",
        "referral",
        "Tells others: 1 referrals made",
    )


def test_subscription_cancelled_churns_until_the_next_order():
    c = Customer(preset_model("default"))
    c.set(has_active_subscription=True).order()
    assert c.evaluate()[:2] == ("acquisition", "first_order")
    # A subscriber is not judged by silence: a year without an order changes nothing.
    assert c.advance(400).evaluate()[0] == "development"
    c.set(has_active_subscription=False, subscription_cancelled=True, days_since_cancellation=0)
    assert c.evaluate() == (
        "churned",
        "cancelled",
        "Cancelled their subscription 0 days ago and has not bought since",
    )
    assert c.advance(10).evaluate() == ("churned", None, None)  # held there by the rule
    # gone silent too by now (410 days, gap 30), but an order after the cancellation wins back
    assert c.advance(5).order().evaluate()[:2] == ("won_back", "won_back")


RULE_CASES = [
    # (rule, current stage, facts, new stage, reason)
    ("unlikely_alive", "retention",
     dict(orders_count=5, first_order_days_ago=200, days_since_last_order=40, typical_gap_days=50,
          p_alive=0.42),
     "at_risk", "Probability of still buying is down to 42%"),
    ("detractor", "development",
     dict(orders_count=1, first_order_days_ago=20, days_since_last_order=20, typical_gap_days=30,
          latest_nps=3),
     "at_risk", "Unhappy: latest NPS answer 3 out of 10"),
    ("complaints", "acquisition",
     dict(orders_count=1, first_order_days_ago=2, days_since_last_order=2, typical_gap_days=30,
          open_complaints=2),
     "at_risk", "Unhappy: 2 open complaints"),
    ("no_second_order", "development",
     dict(orders_count=1, first_order_days_ago=91, days_since_last_order=91,
          typical_gap_days=50),
     "at_risk", "No second order within 90 days of the first (91 days ago)"),
    ("recovered", "at_risk",
     dict(orders_count=3, first_order_days_ago=200, days_since_last_order=0, typical_gap_days=100,
          p_alive=0.9, open_complaints=1, days_in_stage=30),
     "retention", "No risk signal any more: last order 0 days ago, 1 open complaints"),
    ("recovered_early", "at_risk",
     dict(orders_count=1, first_order_days_ago=30, days_since_last_order=30, typical_gap_days=30,
          latest_nps=7, days_in_stage=20),
     "development", "No risk signal any more: one order, 30 days ago"),
    ("no_longer_advocate", "advocacy",
     dict(orders_count=3, first_order_days_ago=100, days_since_last_order=10, typical_gap_days=50,
          latest_nps=7),
     "retention", "No referral, and latest NPS 7: no longer a promoter"),
    ("repeat_purchase", "development",
     dict(orders_count=2, first_order_days_ago=80, days_since_last_order=0, typical_gap_days=80),
     "retention", "Bought again: 2 orders, the first 80 days ago"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "stage", "facts", "expected", "reason"), RULE_CASES)
def test_each_default_rule_moves_and_explains(rule, stage, facts, expected, reason):
    result = lifecycle_evaluate(
        preset_model("default"), {k: [v] for k, v in {**BLANK, **facts}.items()}, [stage]
    )
    assert (result.stage_keys()[0], result.rule_names()[0]) == (expected, rule)
    assert result.reasons() == [reason]


def test_every_default_rule_is_exercised():
    walked = {"lead", "first_order", "onboarded", "repeat_purchase", "promoter",
              "slowing_down", "gone_silent", "won_back", "repeat_after_return", "referral",
              "cancelled"}  # fmt: skip
    assert set(preset_model("default").rule_names) == walked | {c[0] for c in RULE_CASES}


def test_journey_walk():
    c = Customer(preset_model("journey"))
    assert c.set(is_lead=True).evaluate()[:2] == ("attraction", "attracted")
    assert c.set(interactions_count=1).evaluate() == (
        "interest",
        "interested",
        "A lead who engaged: 1 interactions logged",
    )
    assert c.set(interactions_count=2, meetings_count=1).evaluate()[:2] == (
        "decision",
        "sales_conversation",
    )
    assert c.order().evaluate()[:2] == ("post_purchase", "first_purchase")
    assert c.advance(30).evaluate()[:2] == ("continuous_relationship", "settled")
    assert c.advance(10).order().evaluate()[:2] == ("repeat_purchase", "repeat")
    assert c.set(referrals_count=2).evaluate()[:2] == ("referral_expansion", "referral")
    assert c.set(open_complaints=3).evaluate()[:2] == ("at_risk", "complaints")
    assert c.advance(120).evaluate()[:2] == ("churned", "gone_silent")  # gap 40, 3 x = 120
    # Won back to repeat purchase, and on to referral & expansion (they still have referrals)
    # in the same evaluation: two transitions, each with its rule and reason.
    assert c.set(open_complaints=0).advance(30).order().evaluate()[0] == "referral_expansion"
    assert c.last.transitions()[["from_stage", "to_stage", "rule", "reason"]].values.tolist() == [
        ["churned", "repeat_purchase", "won_back",
         "Won back: bought again after churning (last order 0 days ago)"],
        ["repeat_purchase", "referral_expansion", "referral", "Tells others: 2 referrals made"],
    ]  # fmt: skip


def test_an_imported_customer_moves_several_steps_in_one_evaluation():
    facts = {k: [v] for k, v in BLANK.items()}
    facts.update(orders_count=[5], first_order_days_ago=[900.0], days_since_last_order=[400.0],
                 typical_gap_days=[125.0])  # fmt: skip
    result = lifecycle_evaluate(preset_model("default"), pd.DataFrame(facts, index=["c-9"]), [""])
    assert result.stage_keys().tolist() == ["churned"]
    moves = result.transitions()
    assert moves[["customer", "step", "from_stage", "to_stage", "rule"]].values.tolist() == [
        ["c-9", 0, None, "retention", "repeat_purchase"],
        ["c-9", 1, "retention", "churned", "gone_silent"],
    ]
    assert moves["reason"][1].startswith("No order for 400 days")
    frame = result.to_frame(reasons=True)
    assert frame.loc["c-9", "previous_stage"] is None and frame.loc["c-9", "rule"] == "gone_silent"


def _random_population(n, seed):
    rng = np.random.default_rng(seed)
    orders = rng.poisson(2.0, n)
    first = np.where(orders > 0, rng.uniform(0, 1000, n).round(), NAN)
    last = np.where(orders > 0, first * rng.uniform(0, 1, n), NAN).round()
    gap = np.where(orders > 1, (first - last) / np.maximum(orders - 1, 1), POPULATION_GAP)
    gap = np.where(orders > 0, np.maximum(gap, 1.0), NAN)
    subscribed = rng.random(n) < 0.1
    cancelled = ~subscribed & (rng.random(n) < 0.05)
    model = preset_model("default")
    current = rng.integers(-1, len(model.stages), n)
    facts = pd.DataFrame(
        {
            "orders_count": orders,
            "first_order_days_ago": first,
            "days_since_last_order": last,
            "typical_gap_days": gap,
            "p_alive": np.where(rng.random(n) < 0.8, rng.random(n), NAN),
            "has_active_subscription": subscribed,
            "subscription_cancelled": cancelled,
            "days_since_cancellation": np.where(cancelled, rng.uniform(0, 500, n).round(), NAN),
            "referrals_count": rng.poisson(0.1, n),
            "latest_nps": np.where(rng.random(n) < 0.3, rng.integers(0, 11, n), NAN),
            "open_complaints": rng.poisson(0.2, n),
            "is_lead": orders == 0,
            "days_in_stage": np.where(current >= 0, rng.uniform(0, 400, n).round(), NAN),
        }
    )
    return model, facts, current


@pytest.mark.parametrize("preset", ["default", "journey"])
def test_bulk_and_one_at_a_time_agree(preset):
    model, facts, current = _random_population(3000, seed=7)
    if preset == "journey":
        model = preset_model("journey")
        facts["interactions_count"] = np.random.default_rng(1).poisson(1.0, len(facts))
        facts["meetings_count"] = np.random.default_rng(2).poisson(0.3, len(facts))
        current = np.random.default_rng(3).integers(-1, len(model.stages), len(facts))
    bulk = lifecycle_evaluate(model, facts, current)
    reasons = bulk.reasons()
    for i in range(0, len(facts), 15):
        one = lifecycle_evaluate(model, facts.iloc[[i]], current[[i]])
        assert one.stage_keys()[0] == bulk.stage_keys()[i]
        assert one.rule_names()[0] == bulk.rule_names()[i]
        assert one.reasons()[0] == reasons[i]
    # Many customers moved, through many rules: the comparison is not vacuous.
    assert bulk.changed.mean() > 0.5 and len(set(bulk.rule_names()) - {None}) >= 10


def test_the_result_is_a_fixed_point():
    model, facts, current = _random_population(5000, seed=11)
    first = lifecycle_evaluate(model, facts, current)
    again = facts.copy()
    again.loc[first.changed, "days_in_stage"] = 0.0  # they entered their stage just now
    second = lifecycle_evaluate(model, again, first.stage)
    assert not second.changed.any()


fact_values = st.one_of(st.just(NAN), st.floats(0, 400, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    orders=st.integers(0, 6),
    first=fact_values,
    last=fact_values,
    gap=fact_values,
    p_alive=st.one_of(st.just(NAN), st.floats(0, 1)),
    nps=st.one_of(st.just(NAN), st.integers(0, 10)),
    complaints=st.integers(0, 3),
    referrals=st.integers(0, 2),
    subscribed=st.booleans(),
    cancelled=fact_values,
    in_stage=fact_values,
    stage=st.integers(-1, 7),
    position=st.integers(0, 49),
)
def test_alone_or_in_a_crowd_the_answer_is_the_same(
    orders, first, last, gap, p_alive, nps, complaints, referrals, subscribed, cancelled,
    in_stage, stage, position,
):  # fmt: skip
    model, crowd, current = _random_population(50, seed=5)
    row = {
        "orders_count": orders, "first_order_days_ago": first, "days_since_last_order": last,
        "typical_gap_days": gap, "p_alive": p_alive, "has_active_subscription": subscribed,
        "subscription_cancelled": not math.isnan(cancelled) and not subscribed,
        "days_since_cancellation": cancelled, "referrals_count": referrals, "latest_nps": nps,
        "open_complaints": complaints, "is_lead": orders == 0, "days_in_stage": in_stage,
    }  # fmt: skip
    crowd.loc[position] = row
    current[position] = stage
    bulk = lifecycle_evaluate(model, crowd, current)
    alone = lifecycle_evaluate(model, pd.DataFrame([row]), [stage])
    assert alone.stage[0] == bulk.stage[position]
    assert alone.rule[0] == bulk.rule[position]
    assert alone.reasons() == bulk.reasons([position])


# --- rule edits ---------------------------------------------------------------------------


def _at(model, stage, **facts):
    result = lifecycle_evaluate(model, {k: [v] for k, v in {**BLANK, **facts}.items()}, [stage])
    return result.stage_keys()[0], result.rule_names()[0], result.reasons()[0]


def test_rule_edits_take_effect():
    quiet = dict(orders_count=4, first_order_days_ago=300, days_since_last_order=100,
                 typical_gap_days=30)  # fmt: skip
    assert _at(preset_model("default"), "retention", **quiet)[:2] == ("churned", "gone_silent")
    # The business churns at 5 x the gap instead of 3 x: the same customer is only at risk.
    edited = preset_definition("default")
    edited["conditions"]["silent"]["all"][1]["value"]["times"] = 5
    assert _at(definition_validate(edited), "retention", **quiet)[:2] == ("at_risk", "slowing_down")
    # Renaming a stage shows in reasons that print it; removing a rule stops it firing.
    edited["stages"][5]["name"] = "Needs attention"
    rules = edited["rules"]
    slowing = next(rule for rule in rules if rule["name"] == "slowing_down")
    slowing["reason"] = "{from_stage} -> {to_stage}: {days_since_last_order:.0f} days quiet"
    model = definition_validate(edited)
    assert _at(model, "retention", **quiet)[2] == "Retention -> Needs attention: 100 days quiet"
    edited["rules"] = [rule for rule in rules if rule["name"] != "slowing_down"]
    assert _at(definition_validate(edited), "retention", **quiet)[:2] == ("retention", None)


def test_rule_order_decides():
    both = dict(orders_count=3, first_order_days_ago=100, days_since_last_order=5,
                typical_gap_days=50, latest_nps=3, open_complaints=4)  # fmt: skip
    assert _at(preset_model("default"), "retention", **both)[1] == "detractor"
    edited = preset_definition("default")
    names = [rule["name"] for rule in edited["rules"]]
    i, j = names.index("detractor"), names.index("complaints")
    edited["rules"][i], edited["rules"][j] = edited["rules"][j], edited["rules"][i]
    assert _at(definition_validate(edited), "retention", **both)[1] == "complaints"


def test_the_stored_definition_round_trips():
    model = preset_model("journey")
    text = json.dumps(model.definition)
    again = definition_validate(json.loads(text))
    assert again.definition == model.definition and again.rule_names == model.rule_names
    assert model.warnings == () and preset_model("default").warnings == ()


# --- refused definitions ------------------------------------------------------------------


def _problems(data):
    with pytest.raises(DefinitionError) as caught:
        definition_validate(data)
    return [str(problem) for problem in caught.value.problems]


def _tiny(**rule):
    base = {"name": "first", "from": ["unstaged"], "to": "a", "reason": "bought",
            "when": {"fact": "orders_count", "op": ">=", "value": 1}}  # fmt: skip
    return {
        "stages": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
        "rules": [base, {**base, "name": "second", "from": ["a"], "to": "b", **rule}],
    }


def test_refused_with_the_path_and_a_suggestion():
    data = preset_definition("default")
    data["rules"][3]["when"] = {
        "all": [{"fact": "orders_count", "op": ">=", "value": 1},
                {"fact": "order_count", "op": ">=", "value": 2}]
    }  # fmt: skip
    assert _problems(data) == [
        'rules[3].when.all[1].fact: unknown fact "order_count" (did you mean "orders_count"?)'
    ]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"to": "c"}, 'rules[1].to: unknown stage "c"'),
        ({"from": ["a", "retension"]}, 'rules[1].from[1]: unknown stage "retension"'),
        ({"name": "first"}, 'rules[1].name: duplicate rule name "first" (also rules[0])'),
        ({"when": {"fact": "orders_count", "op": "=>", "value": 2}},
         'rules[1].when.op: unknown operator "=>" (use one of ==, !=, <, <=, >, >=, missing, '
         "known)"),
        ({"when": {"fact": "orders_count", "op": ">=", "value": "2"}},
         'rules[1].when.value: orders_count is a count (a whole number >= 0): the value must '
         'be a number, got "2" (text)'),
        ({"when": {"fact": "is_lead", "op": ">", "value": True}},
         'rules[1].when.op: is_lead is a yes/no fact: use == or !=, not ">"'),
        ({"when": {"fact": "p_alive", "op": "<", "value": 30}},
         "rules[1].when.value: p_alive is a probability: use a value from 0 to 1, got 30"),
        ({"when": {"fact": "days_since_last_order", "op": ">",
                   "value": {"fact": "typical_gap", "times": 3}}},
         'rules[1].when.value.fact: unknown fact "typical_gap" (did you mean '
         '"typical_gap_days"?)'),
        ({"when": {"fact": "orders_count", "op": "missing"}},
         'rules[1].when.op: orders_count is never missing, so "missing" is always false'),
        ({"when": {"any": []}}, "rules[1].when.any: must be a non-empty list of conditions"),
        ({"when": {"all": [{"fact": "orders_count", "op": ">", "value": 1, "any": []}]}},
         "rules[1].when.all[0]: a condition is one of {\"all\": [...]}, {\"any\": [...]}, "
         "{\"not\": ...}, {\"fact\": ..., \"op\": ..., \"value\": ...} or {\"condition\": name}"
         "; this one has any and fact"),
        ({"when": {"condition": "slowing"}}, 'rules[1].when.condition: unknown condition '
         '"slowing"'),
        ({"reason": "No order for {days_since_last_orders} days"},
         "rules[1].reason: {days_since_last_orders} is not a fact or from_stage/to_stage (did "
         'you mean "days_since_last_order"?)'),
        ({"reason": "{orders_count:.q}"}, "rules[1].reason: cannot be formatted: Format "
         "specifier missing precision"),
        ({"unless": {}}, 'rules[1].unless: unknown key "unless"'),
    ],
)  # fmt: skip
def test_refused(rule, problem):
    assert _problems(_tiny(**rule)) == [problem]


def test_refused_everywhere_at_once():
    data = {"stages": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"},
                       {"key": "Bad key", "name": "C"}, {"key": "unstaged", "name": "D"}],
            "rules": [], "stagez": []}  # fmt: skip
    assert _problems(data) == [
        'stagez: unknown key "stagez" (did you mean "stages"?)',
        'stages[1].key: duplicate stage "a" (also stages[0])',
        'stages[2].key: "Bad key" must be lower-case letters, digits and _ (starting with a '
        "letter)",
        'stages[3].key: "unstaged" is reserved for customers in no stage yet',
        "rules: must be a non-empty list of rules ({name, from, to, when, reason})",
    ]
    assert _problems([1, 2]) == ["must be an object with stages and rules"]
    assert _problems({"stages": [], "rules": [], "x": math.nan})[0].startswith(
        "must be plain JSON data"
    )


def test_named_conditions_may_not_refer_to_each_other_in_a_circle():
    data = _tiny(when={"condition": "x"})
    data["conditions"] = {"x": {"not": {"condition": "y"}}, "y": {"condition": "x"}}
    assert (
        _problems(data)[0]
        == "conditions.y.condition: conditions refer to each other in a circle: x -> y -> x"
    )


def test_rules_that_cycle_are_refused_with_the_circle_named():
    data = _tiny()
    data["rules"].append(
        {"name": "back", "from": ["b"], "to": "a", "reason": "back",
         "when": {"fact": "days_since_last_order", "op": ">",
                  "value": {"fact": "typical_gap_days", "times": 2}}}
    )  # fmt: skip
    assert _problems(data) == [
        'rules: the rules move a customer round in a circle: a -> b -> a (rules "second", '
        '"back"); make the conditions of these rules exclude each other'
    ]


def test_a_cycle_the_probe_misses_is_caught_when_evaluating(monkeypatch):
    import tenure.domain.lifecycle.probe as probe

    monkeypatch.setattr(probe, "probe_cycles", lambda model: None)
    data = _tiny()
    data["rules"].append(
        {"name": "back", "from": ["b"], "to": "a", "reason": "back",
         "when": {"fact": "orders_count", "op": "==", "value": 7}}
    )  # fmt: skip
    model = definition_validate(data)
    facts = {"orders_count": [1, 7, 7]}
    with pytest.raises(LifecycleCycleError) as caught:
        lifecycle_evaluate(model, facts, ["a", "a", "b"])
    assert caught.value.stages == ("b", "a", "b") and caught.value.position == 1


def test_unreachable_stage_is_a_warning():
    data = _tiny()
    data["stages"].append({"key": "lonely", "name": "Lonely"})
    model = definition_validate(data)
    assert model.warnings == (
        'stage "lonely" cannot be reached: no chain of rules leads to it from a customer in no '
        "stage yet",
    )


# --- the engine's inputs and semantics ----------------------------------------------------


def test_missing_values_compare_false_even_with_not_equal():
    data = _tiny(when={"fact": "latest_nps", "op": "!=", "value": 5})
    data["rules"].append({"name": "nps_known", "from": ["a"], "to": "b", "reason": "x",
                          "when": {"fact": "latest_nps", "op": "known"}})  # fmt: skip
    unlikely = {"not": {"fact": "p_alive", "op": ">=", "value": 0.5}}
    data["rules"].append({"name": "unlikely", "from": ["a"], "to": "b",
                          "reason": "{p_alive:.0%}", "when": unlikely})  # fmt: skip
    model = definition_validate(data)
    facts = {"orders_count": [1, 1, 1], "latest_nps": [NAN, 7, NAN], "p_alive": [NAN, NAN, 0.9]}
    result = lifecycle_evaluate(model, facts, ["a", "a", "a"])
    assert result.rule_names().tolist() == ["unlikely", "second", None]
    assert result.reasons()[0] == "unknown"  # a missing value prints as "unknown"


def test_stage_codes_and_keys_are_both_accepted():
    model = preset_model("default")
    facts = {k: [v, v] for k, v in {**BLANK, "is_lead": True}.items()}
    by_key = lifecycle_evaluate(model, facts, [None, "reach"])
    by_code = lifecycle_evaluate(model, facts, np.array([-1, 0]))
    assert by_key.stage.tolist() == by_code.stage.tolist() == [0, 0]
    assert model.stage_codes(["churned", None, "", "unstaged"]).tolist() == [6, -1, -1, -1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f, c: f.pop("p_alive"), "p_alive: is read by rule 'unlikely_alive' but is not "
         "among the facts"),
        (lambda f, c: f.update(orders_count=[NAN, 1]), "orders_count: may not be missing "
         "(counts and yes/no facts always have a value) (1 row, first at position 0)"),
        (lambda f, c: f.update(open_complaints=[1]), "open_complaints: has 1 values for 2 "
         "customers"),
        (lambda f, c: c.__setitem__(1, "retension"), "current: unknown stage 'retension'"),
    ],
)  # fmt: skip
def test_bad_inputs_are_named(change, message):
    facts = {k: [v, v] for k, v in BLANK.items()}
    current = [None, "reach"]
    change(facts, current)
    with pytest.raises(InvalidInputError) as caught:
        lifecycle_evaluate(preset_model("default"), facts, current)
    assert str(caught.value).startswith(message)


def test_pandas_nullable_columns():
    model = preset_model("default")
    facts = pd.DataFrame({k: [v] * 3 for k, v in BLANK.items()})
    facts["orders_count"] = pd.array([0, 1, 2], dtype="Int64")
    facts["latest_nps"] = pd.array([None, 10, None], dtype="Int64")
    facts["is_lead"] = pd.array([True, False, False], dtype="boolean")
    facts["first_order_days_ago"] = [NAN, 3.0, 50.0]
    facts["days_since_last_order"] = [NAN, 3.0, 1.0]
    facts["typical_gap_days"] = [NAN, 30.0, 49.0]
    result = lifecycle_evaluate(model, facts, pd.Series([None, None, None]))
    assert result.stage_keys().tolist() == ["reach", "advocacy", "retention"]


def test_every_fact_is_documented():
    for fact in FACTS.values():
        assert fact.description.endswith(".") and len(fact.description) > 20
