"""Segment definitions: the lifecycle rule grammar over the facts registry; every problem
names its path and reason (pure: no database)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.domain.facts import Fact
from tenure.domain.segments import (
    DEFINITION_MAX_DEPTH,
    DefinitionError,
    membership_changes,
    segment_definition_validate,
    segment_holds,
)

FACTS = {
    "orders_count": Fact("orders_count", "count", "Orders."),
    "health_band": Fact("health_band", "category", "Band.", nullable=True),
    "consent_newsletter": Fact("consent_newsletter", "flag", "Newsletter."),
    "predicted_clv_365": Fact("predicted_clv_365", "number", "CLV.", nullable=True),
}


def _problems(data):
    with pytest.raises(DefinitionError) as refused:
        segment_definition_validate(data, facts=FACTS)
    return [str(p) for p in refused.value.problems]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], 'must be an object: {"when": <condition>}'),
        ({}, "when: missing: the condition a member meets"),
        ({"when": {"fact": "order_count", "op": ">=", "value": 2}},
         'when.fact: unknown fact "order_count" (did you mean "orders_count"?)'),
        ({"when": {"all": [{"fact": "health_band", "op": ">=", "value": 2}]}},
         "when.all[0].op"),
        ({"when": {"fact": "orders_count", "op": ">=", "value": "two"}}, "when.value"),
        ({"wehn": {}}, 'wehn: unknown key "wehn" (did you mean "when"?)'),
        ({"when": {"condition": "quiet"}}, 'when.condition: unknown condition "quiet"'),
        ({"grammar": 2, "when": {"fact": "orders_count", "op": ">=", "value": 1}},
         "grammar: unknown grammar version 2: use 1"),
    ],
)  # fmt: skip
def test_each_problem_names_its_path_and_reason(data, expected):
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_too_deep_a_definition_is_refused_before_it_is_compiled():
    deep: dict = {"fact": "orders_count", "op": ">=", "value": 1}
    for _ in range(DEFINITION_MAX_DEPTH * 3):
        deep = {"not": deep}
    assert _problems({"when": deep}) == [f"is nested more than {DEFINITION_MAX_DEPTH} levels deep"]


def test_members_meet_the_condition_and_a_missing_value_compares_false():
    definition = segment_definition_validate(
        {
            "conditions": {"valuable": {"fact": "predicted_clv_365", "op": ">=", "value": 100}},
            "when": {
                "all": [
                    {"condition": "valuable"},
                    {"fact": "health_band", "op": "in", "value": ["red", "yellow"]},
                    {"fact": "consent_newsletter", "op": "==", "value": True},
                ]
            },
        },
        facts=FACTS,
    )
    facts = pd.DataFrame(
        {
            "predicted_clv_365": [150.0, 150.0, np.nan, 500.0],
            "health_band": ["red", "green", "red", " yellow "],
            "consent_newsletter": [True, True, True, False],
        }
    )
    assert segment_holds(definition, facts, 4).tolist() == [True, False, False, False]
    assert set(definition.facts) == {"predicted_clv_365", "health_band", "consent_newsletter"}


def test_an_attribute_is_typed_by_its_use():
    definition = segment_definition_validate(
        {"when": {"fact": "attribute.seats", "op": ">", "value": 10}}, facts=FACTS
    )
    assert definition.attribute_kinds == {"attribute.seats": "number"}


def test_membership_changes_enter_the_new_and_let_the_others_leave():
    entered, left = membership_changes([1, 2, 3, 4], [True, False, True, False], [2, 3, 9])
    assert (entered.tolist(), left.tolist()) == ([1], [2])  # 9 was not evaluated: stays


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["when", "all", "any", "not", "fact", "op", "value", "condition", "x"])
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_json_is_accepted_or_refused_with_named_problems(data):
    try:
        segment_definition_validate(data, facts=FACTS)
    except DefinitionError as error:
        assert error.problems and all(str(p) for p in error.problems)
        json.dumps([p.path for p in error.problems])
