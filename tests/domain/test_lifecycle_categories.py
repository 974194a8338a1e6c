"""Category facts and imported attributes in the lifecycle grammar: the operators hand-checked
on a small frame with missing values, the parser's refusals by path, and the engine agreeing
with itself alone or in a crowd."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics.errors import InvalidInputError
from tenure.domain.facts import Fact
from tenure.domain.lifecycle import (
    FACTS,
    DefinitionError,
    definition_validate,
    lifecycle_evaluate,
)
from tenure.domain.lifecycle.replay import lifecycle_replay
from tenure.domain.lifecycle.timeline import BEFORE, History, Series

NAN = math.nan
CATALOGUE = {
    **FACTS,
    "channel": Fact("channel", "category", "The acquisition channel.", nullable=True),
    "category": Fact("category", "category", "The category.", nullable=True),
}
CHANNELS = ["partner", " partner ", "Partner", None, "", "web", NAN]


def _one_rule(when: dict, reason: str = "Matched") -> dict:
    return {
        "stages": [{"key": "matched", "name": "Matched"}],
        "rules": [
            {"name": "r", "from": "unstaged", "to": "matched", "when": when, "reason": reason}
        ],
    }


def _matches(when: dict, facts: dict) -> list[bool]:
    model = definition_validate(_one_rule(when), facts=CATALOGUE)
    n = len(next(iter(facts.values())))
    result = lifecycle_evaluate(model, facts, [None] * n)
    return [key == "matched" for key in result.stage_keys().tolist()]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # partner, " partner ", Partner, None, "", web, NaN
        ({"op": "is", "value": "partner"}, [1, 1, 0, 0, 0, 0, 0]),
        ({"op": "is", "value": "  partner"}, [1, 1, 0, 0, 0, 0, 0]),  # both sides trimmed
        ({"op": "is_not", "value": "partner"}, [0, 0, 1, 0, 0, 1, 0]),  # missing: false too
        ({"op": "in", "value": ["web", "Partner"]}, [0, 0, 1, 0, 0, 1, 0]),
        ({"op": "not_in", "value": ["web", "Partner"]}, [1, 1, 0, 0, 0, 0, 0]),
        ({"op": "known"}, [1, 1, 1, 0, 0, 1, 0]),
        ({"op": "missing"}, [0, 0, 0, 1, 1, 0, 1]),
    ],
)
def test_category_operators_by_hand(when, expected):
    assert _matches({"fact": "channel", **when}, {"channel": CHANNELS}) == [
        bool(e) for e in expected
    ]


def test_not_of_is_holds_for_the_missing_as_not_of_a_comparison_does():
    when = {"not": {"fact": "channel", "op": "is", "value": "partner"}}
    assert _matches(when, {"channel": CHANNELS}) == [False, False, True, True, True, True, True]


def test_a_category_rule_with_numbers_and_its_reason():
    definition = _one_rule(
        {
            "all": [
                {"fact": "channel", "op": "is", "value": "partner"},
                {"fact": "orders_count", "op": ">=", "value": 1},
            ]
        },
        reason="Partner customer ({channel}, {category}) with {orders_count} orders",
    )
    model = definition_validate(definition, facts=CATALOGUE)
    facts = pd.DataFrame(
        {
            "channel": ["partner", "partner", "web"],
            "category": ["b2b", None, "b2b"],
            "orders_count": [2, 0, 5],
        },
        index=[10, 11, 12],
    )
    result = lifecycle_evaluate(model, facts, [None, None, None])
    assert result.stage_keys().tolist() == ["matched", None, None]
    assert result.reasons() == ["Partner customer (partner, b2b) with 2 orders", None, None]
    missing = lifecycle_evaluate(model, facts.assign(category=[None] * 3), [None] * 3)
    assert missing.reasons()[0] == "Partner customer (partner, unknown) with 2 orders"


def test_an_attribute_is_read_as_its_operator_says():
    definition = _one_rule(
        {
            "all": [
                {"fact": "attribute.plan", "op": "in", "value": ["gold", "silver"]},
                {"fact": "attribute.Seats", "op": ">=", "value": 10},
            ]
        },
        reason="{attribute.plan} plan, {attribute.Seats:.0f} seats",
    )
    model = definition_validate(definition, facts=CATALOGUE)
    assert model.facts["attribute.plan"].kind == "category"
    assert model.facts["attribute.Seats"].kind == "number"
    assert model.facts_used == {"attribute.plan", "attribute.Seats"}
    facts = {
        "attribute.plan": ["gold", "gold ", "bronze", None],
        "attribute.Seats": [12.0, 9.0, 50.0, 50.0],
    }
    result = lifecycle_evaluate(model, facts, [None] * 4)
    assert result.stage_keys().tolist() == ["matched", None, None, None]
    assert result.reasons()[0] == "gold plan, 12 seats"


def _problems(definition: dict) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        definition_validate(definition, facts=CATALOGUE)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ({"fact": "channel", "op": ">=", "value": 1},
         'rules[0].when.op: channel is a category: use is, is_not, in or not_in, not ">="'),
        ({"fact": "channel", "op": "==", "value": "partner"},
         'rules[0].when.op: channel is a category: use is, is_not, in or not_in, not "=="'),
        ({"fact": "orders_count", "op": "is", "value": "x"},
         "rules[0].when.op: orders_count is a count (a whole number >= 0): use ==, !=, <, <=, "
         '>, >=, not "is"'),
        ({"fact": "has_active_subscription", "op": "in", "value": ["x"]},
         'rules[0].when.op: has_active_subscription is a yes/no fact: use == or !=, not "in"'),
        ({"fact": "channel", "op": "in", "value": "partner"},
         'rules[0].when.value: "in" takes a list of text values, e.g. ["partner", "reseller"]; '
         'use "is" for one'),
        ({"fact": "channel", "op": "is_not", "value": ["a", "b"]},
         'rules[0].when.value: "is_not" takes one text value: use "not_in" for a list'),
        ({"fact": "channel", "op": "is", "value": "  "},
         'rules[0].when.value: channel is a category: the value must be non-empty text, got '
         '"  " (text)'),
        ({"fact": "channel", "op": "not_in", "value": ["a", 3]},
         "rules[0].when.value[1]: channel is a category: the value must be non-empty text, got 3"),
        ({"fact": "channel", "op": "in", "value": []},
         'rules[0].when.value: "in" takes a non-empty list of text values'),
        ({"fact": "channel", "op": "=>", "value": "x"},
         'rules[0].when.op: unknown operator "=>" (use one of is, is_not, in, not_in, missing, '
         "known)"),
        ({"fact": "orders_count", "op": ">=", "value": {"fact": "channel"}},
         "rules[0].when.value.fact: channel is a category: compare numbers with numbers"),
        ({"fact": "attribute.plan", "op": "==", "value": "gold"},
         'rules[0].when.op: attribute.plan compared with text: use "is" or "is_not" (==, != and '
         "the other comparisons read it as a number)"),
        ({"fact": "attribute.", "op": "is", "value": "gold"},
         'rules[0].when.fact: unknown fact "attribute."'),
        ({"fact": "chanel", "op": "is", "value": "web"},
         'rules[0].when.fact: unknown fact "chanel" (did you mean "channel"?)'),
    ],
)  # fmt: skip
def test_refused_with_the_path(when, problem):
    assert _problems(_one_rule(when)) == [problem]


def test_a_definition_reads_an_attribute_one_way():
    when = {
        "all": [
            {"fact": "attribute.seats", "op": ">=", "value": 10},
            {"fact": "attribute.seats", "op": "is", "value": "many"},
        ]
    }
    assert _problems(_one_rule(when)) == [
        "rules[0].when.all[1].op: attribute.seats is read as a number at rules[0].when.all[0].op:"
        " a definition reads an attribute either as a number or as a category"
    ]


def test_a_reason_prints_an_attribute_as_the_conditions_read_it():
    when = {"fact": "attribute.plan", "op": "is", "value": "gold"}
    assert _problems(_one_rule(when, reason="{attribute.plan:.0f} plan")) == [
        "rules[0].reason: cannot be formatted: Unknown format code 'f' for object of type 'str'"
    ]
    printed_only = definition_validate(
        _one_rule({"fact": "orders_count", "op": ">=", "value": 1}, "{attribute.plan}"),
        facts=CATALOGUE,
    )
    assert printed_only.facts["attribute.plan"].kind == "category"


def test_without_a_registered_channel_the_fact_is_unknown():
    with pytest.raises(DefinitionError, match='unknown fact "channel"'):
        definition_validate(_one_rule({"fact": "channel", "op": "is", "value": "web"}), facts=FACTS)


def test_a_category_column_must_be_text():
    model = definition_validate(
        _one_rule({"fact": "channel", "op": "is", "value": "web"}), facts=CATALOGUE
    )
    with pytest.raises(InvalidInputError, match="channel"):
        lifecycle_evaluate(model, {"channel": ["web", 3]}, [None, None])


VALUES = st.one_of(st.none(), st.sampled_from(["a", " a", "a ", "A", "b", "", " ", "c"]))


@settings(max_examples=60, deadline=None)
@given(
    column=st.lists(VALUES, min_size=1, max_size=30),
    chosen=st.lists(st.sampled_from(["a", "b", "A", "z"]), min_size=1, max_size=3),
    negate=st.booleans(),
    position=st.integers(min_value=0, max_value=29),
)
def test_in_and_not_in_by_definition_alone_or_in_a_crowd(column, chosen, negate, position):
    when = {"fact": "channel", "op": "not_in" if negate else "in", "value": chosen}
    model = definition_validate(_one_rule(when), facts=CATALOGUE)
    crowd = lifecycle_evaluate(model, {"channel": column}, [None] * len(column))
    plain = [None if v is None or not v.strip() else v.strip() for v in column]
    expected = [v is not None and ((v in chosen) != negate) for v in plain]
    assert (crowd.stage_keys() == "matched").tolist() == expected
    i = position % len(column)
    alone = lifecycle_evaluate(model, {"channel": [column[i]]}, [None])
    assert alone.stage_keys()[0] == crowd.stage_keys()[i]


def _partner_model():
    return definition_validate(
        {
            "stages": [
                {"key": "acquisition", "name": "Acquisition", "role": "new"},
                {"key": "partner", "name": "Partner", "role": "active"},
            ],
            "rules": [
                {"name": "partner", "from": "*", "to": "partner", "reason": "Partner buyer",
                 "when": {"all": [{"fact": "channel", "op": "is", "value": "partner"},
                                  {"fact": "orders_count", "op": ">=", "value": 1}]}},
                {"name": "first", "from": "unstaged", "to": "acquisition", "reason": "Bought",
                 "when": {"fact": "orders_count", "op": ">=", "value": 1}},
            ],
        },
        facts=CATALOGUE,
    )  # fmt: skip


def test_the_replay_reads_a_timeless_fact_at_every_moment_and_agrees_with_one_evaluation():
    model = _partner_model()
    day = 86_400_000
    # customer 0: partner, ordered on day 10; 1: web, day 20; 2: partner, no order yet
    history = History(
        customers=3,
        orders=Series(np.array([0, 1]), np.array([10 * day, 20 * day]), np.array([10.0, 20.0])),
        timeless={"channel": np.array(["partner", "web", "partner"], dtype=object)},
    )
    replay = lifecycle_replay(
        model, history, stage=np.full(3, -1), entered=np.full(3, np.nan),
        start=np.full(3, BEFORE), now=30 * day,
    )  # fmt: skip
    moves = replay.moves
    assert moves[["customer", "at", "target"]].values.tolist() == [
        [0, 10 * day, 1],
        [1, 20 * day, 0],
    ]
    once = lifecycle_evaluate(
        model, {"channel": ["partner", "web", "partner"], "orders_count": [1, 1, 0]}, [None] * 3
    )
    assert model.stage_keys_of(replay.stage).tolist() == once.stage_keys().tolist()


def test_a_timeless_fact_changed_since_moves_the_customer_at_now():
    model = _partner_model()
    day = 86_400_000
    history = History(
        customers=1,
        orders=Series(np.array([0]), np.array([10 * day]), np.array([10.0])),
        timeless={"channel": np.array(["partner"], dtype=object)},
    )
    # Evaluated at day 25 as "acquisition" (the channel was "web" then); nothing happened since.
    replay = lifecycle_replay(
        model, history, stage=np.array([0]), entered=np.array([10.0 * day]),
        start=np.array([25 * day]), now=30 * day,
    )  # fmt: skip
    assert replay.moves[["at", "source", "target"]].values.tolist() == [[30 * day, 0, 1]]
