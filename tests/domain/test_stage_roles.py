"""Stage roles: what a stage means to the rest of tenure, whatever the business calls it."""

from __future__ import annotations

import copy

import pytest

from tenure.domain.lifecycle import (
    OFF_PATH_ROLES,
    STAGE_ROLES,
    DefinitionError,
    definition_validate,
    preset_definition,
)


def _with_stage(role: object = None, key: str = "nurture") -> dict:
    definition = copy.deepcopy(preset_definition("default"))
    stage = {"key": key, "name": "Nurture"}
    if role is not None:
        stage["role"] = role
    definition["stages"].append(stage)
    return definition


def test_the_presets_give_every_stage_its_role():
    default = definition_validate(preset_definition("default"))
    assert {stage.key: stage.role for stage in default.stages} == {
        "reach": "lead", "acquisition": "new", "development": "active", "retention": "loyal",
        "advocacy": "advocate", "at_risk": "at_risk", "churned": "lost", "won_back": "won_back",
    }  # fmt: skip
    journey = definition_validate(preset_definition("journey"))
    assert journey.keys_with_role("lead") == ("attraction", "interest", "decision")
    assert journey.keys_with_role("at_risk", "lost") == ("at_risk", "churned")
    assert journey.keys_with_role(*OFF_PATH_ROLES) == ("at_risk", "churned")
    # The validated definition, the one stored, says each role: later code never guesses.
    assert all(stage["role"] in STAGE_ROLES for stage in default.definition["stages"])


def test_a_stage_of_its_own_takes_the_role_given_or_active():
    assert definition_validate(_with_stage("at_risk")).keys_with_role("at_risk") == (
        "at_risk",
        "nurture",
    )
    model = definition_validate(_with_stage())
    assert model.role_of("nurture") == "active"
    assert model.role_of("no_such_stage") is None and model.role_of(None) is None


@pytest.mark.parametrize(
    ("role", "words"),
    [
        ("at-risk", 'stages[8].role: unknown role "at-risk" (did you mean "at_risk"?): one of'),
        (7, "stages[8].role: must be non-empty text, got 7"),
    ],
)
def test_an_unknown_role_is_refused_with_its_path(role, words):
    with pytest.raises(DefinitionError) as refused:
        definition_validate(_with_stage(role))
    assert any(str(problem).startswith(words) for problem in refused.value.problems), str(
        refused.value
    )
