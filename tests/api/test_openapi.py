"""The served OpenAPI document is valid OpenAPI 3.1, checked whole by a validator library
(openapi-spec-validator), so that client generators that validate it accept it."""

from __future__ import annotations

import copy

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _errors(document: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message.splitlines()[0]}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    assert len(document["paths"]) > 40  # the whole API, not a stub
    assert _errors(document) == []


def test_the_retention_period_has_a_valid_example(document):
    parameters = document["paths"]["/api/v1/analytics/retention"]["get"]["parameters"]
    period = next(p for p in parameters if p["name"] == "period")
    assert period["example"] == "2025-Q1"
    assert "examples" not in period  # a list there was the defect


def test_the_validator_refuses_a_list_of_examples_on_a_parameter(document):
    # What the document used to say: the validator must catch it, or the test above means little.
    broken = copy.deepcopy(document)
    parameters = broken["paths"]["/api/v1/analytics/retention"]["get"]["parameters"]
    period = next(p for p in parameters if p["name"] == "period")
    period.pop("example")
    period["examples"] = ["2025-Q1"]
    errors = _errors(broken)
    assert any(
        error.endswith('examples: ["2025-Q1"] is not of type "object"') for error in errors
    ), errors
