"""Playbook definitions: parsed from JSON, every refusal naming its field and reason; hostile
JSON never raises anything but the refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.domain.playbook_steps import Param, StepKind, step_kind_register
from tenure.domain.playbooks import (
    PlaybookError,
    celebrated_days,
    definition_parse,
    inactive_after_days,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _definition(**changes):
    base = {
        "name": "Win-back",
        "slug": "win-back",
        "trigger": {"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}},
        "steps": [{"kind": "wait", "days": 2}, {"kind": "task", "title": "Call {customer}"}],
    }
    return {**base, **changes}


def _problems(data, **kwargs) -> dict[str, str]:
    with pytest.raises(PlaybookError) as refused:
        definition_parse(data, **kwargs)
    return {problem.path: problem.message for problem in refused.value.problems}


def test_a_definition_parses_with_its_defaults():
    parsed = definition_parse(_definition(conditions={"fact": "orders_count", "op": ">=",
                                                      "value": 1}))  # fmt: skip
    assert parsed.trigger.fires_on("stage.entered", {"role": "at_risk"})
    assert not parsed.trigger.fires_on("stage.entered", {"role": "loyal"})
    assert parsed.steps[1].params == {
        "title": "Call {customer}", "body": "", "due_days": 1, "priority": "normal",
        "claim": False,
    }  # fmt: skip
    assert parsed.reentry.policy == "once" and not parsed.enabled and parsed.priority == 100
    assert set(parsed.facts) == {"orders_count"}
    assert parsed.max_event_age_days == 2 and not parsed.include_imported


def test_each_problem_names_its_field_and_reason():
    problems = _problems(
        {
            "name": "", "slug": "Bad Slug", "colour": "red",
            "trigger": {"type": "event", "kind": "Order Placed"},
            "conditions": {"fact": "order_count", "op": ">=", "value": 1},
            "steps": [
                {"kind": "wait"}, {"kind": "task", "title": "x", "due_days": 1.5},
                {"kind": "branch", "on": "opened", "within_days": 3, "goto": 1},
                {"kind": "teleport"},
            ],
            "reentry": {"once_per_days": -1},
        }
    )  # fmt: skip
    assert problems["name"].startswith("must be non-empty text")
    assert "lower-case" in problems["slug"]
    assert problems["colour"] == 'unknown key "colour"'
    assert "event kind" in problems["trigger.kind"]
    assert (
        'unknown fact "order_count" (did you mean "orders_count"?)' in problems["conditions.fact"]
    )
    assert problems["steps[0].days"].startswith("missing")
    assert problems["steps[1].due_days"] == "must be a whole number, got 1.5"
    assert problems["steps[2].goto"].startswith("must be a later step")
    assert problems["steps[3].kind"].startswith("unknown step kind 'teleport'")
    assert problems["reentry.once_per_days"] == "must be from 1 to 3650, got -1"


def test_an_email_step_needs_the_mail_app_to_be_enabled():
    data = _definition(steps=[{"kind": "email", "template": "welcome-introduction"}])
    assert definition_parse(data).steps[0].kind == "email"  # it parses: off, it can be stored
    problems = _problems(data, executable={"wait", "task", "branch"})
    assert problems["steps[0].kind"] == "email steps need the mail app (nothing runs them here yet)"


def test_an_app_registers_a_step_kind_with_its_own_checks():
    step_kind_register(
        StepKind("points_award", "Award points", {"points": Param("int", required=True,
                                                                  minimum=1, maximum=10_000)})
    )  # fmt: skip
    ok = definition_parse(_definition(steps=[{"kind": "points_award", "points": 50}]))
    assert ok.steps[0].params == {"points": 50}
    problems = _problems(_definition(steps=[{"kind": "points_award", "points": 0}]))
    assert problems == {"steps[0].points": "must be at least 1, got 0"}


def test_matches_on_event_data():
    parsed = definition_parse(
        _definition(trigger={"type": "event", "events": [
            {"kind": "complaint.opened", "match": {"kind": "complaint"}},
            {"kind": "survey.answered", "match": {"kind": "nps", "score": {"lte": 6}}},
        ]})
    )  # fmt: skip
    fires = parsed.trigger.fires_on
    assert fires("survey.answered", {"kind": "nps", "score": 6})
    assert not fires("survey.answered", {"kind": "nps", "score": 7})
    assert not fires("survey.answered", {"kind": "csat", "score": 1})
    assert not fires("survey.answered", {"kind": "nps", "score": "3"})  # text is no score
    assert fires("complaint.opened", {"kind": "complaint"})
    assert not fires("complaint.opened", {"kind": "ticket"})
    assert parsed.trigger.event_kinds == {"complaint.opened", "survey.answered"}


def test_imported_and_old_events_enrol_nobody_unless_asked():
    parsed = definition_parse(_definition())
    fresh = {"via": "api", "at": NOW, "now": NOW, "data": {}}
    assert parsed.event_refusal(**fresh) is None
    assert parsed.event_refusal(**{**fresh, "via": "import"}) == "came by an import"
    old = datetime(2026, 2, 26, 11, tzinfo=UTC)
    assert parsed.event_refusal(**{**fresh, "at": old}) == "older than 2 days"
    assert parsed.event_refusal(**{**fresh, "data": {"correction": True}})
    lenient = definition_parse(_definition(include_imported=True))
    assert lenient.event_refusal(**{**fresh, "via": "import", "at": old}) is None


def test_reentry_occurrences():
    assert definition_parse(_definition()).reentry.occurrence("event:7", NOW) == "once"
    every = definition_parse(_definition(reentry="every")).reentry
    assert every.occurrence("event:7", NOW) == "event:7"
    window = definition_parse(_definition(reentry={"once_per_days": 30})).reentry
    assert window.occurrence("a", NOW) == window.occurrence("b", NOW)
    birthday = definition_parse(_definition(trigger={"type": "special_date", "date": "birthday"}))
    assert birthday.reentry.policy == "every"  # a special day: once per year by default


def test_special_days_and_silences():
    assert celebrated_days(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert celebrated_days(date(2028, 2, 28)) == [(2, 28)]
    assert inactive_after_days(10.0, 3, 30) == 30
    assert inactive_after_days(20.0, 3, 30) == 60
    assert inactive_after_days(float("nan"), 3, 30) == 30


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=30,
)  # fmt: skip
KEYS = st.sampled_from(
    ["name", "slug", "trigger", "steps", "conditions", "reentry", "enabled", "priority",
     "max_event_age_days", "type", "kind", "days", "match"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        JSON,
        st.dictionaries(KEYS, JSON, max_size=8),
        st.builds(lambda d, s: {**_definition(), **d, "steps": s},
                  st.dictionaries(KEYS, JSON, max_size=3),
                  st.lists(st.dictionaries(st.sampled_from(["kind", "days", "title", "goto",
                                                            "on", "within_days"]),
                                           JSON | st.sampled_from(["wait", "task", "branch"])),
                           max_size=4)),
    )
)  # fmt: skip
def test_hostile_json_is_refused_in_words_never_crashes(data):
    try:
        parsed = definition_parse(data)
    except PlaybookError as error:
        assert error.problems and all(p.message for p in error.problems)
    else:
        assert parsed.steps and parsed.name
