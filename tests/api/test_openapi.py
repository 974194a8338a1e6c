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


def _schema_classes() -> dict[str, set[str]]:
    """Each name of tenure's API schema classes, with the modules that define a class by it."""
    from ninja import Schema

    import tenure.api.main  # noqa: F401  (every router, so every schema class, imported)

    found: dict[str, set[str]] = {}

    def walk(base: type) -> None:
        for cls in base.__subclasses__():
            if cls.__module__.startswith("tenure."):
                found.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
            walk(cls)

    walk(Schema)
    return found


def test_no_two_schema_classes_share_a_name(document):
    # django-ninja names a component by its class: a second class of the same name silently
    # replaced the first in the document (/segments/preview was documented as answering the
    # mail template preview's subject, text and html).
    shared = {name: where for name, where in _schema_classes().items() if len(where) > 1}
    assert shared == {}
    components = document["components"]["schemas"]
    assert set(components["SegmentPreviewOut"]["properties"]) == {"count", "evaluated", "sample"}
    assert set(components["TemplatePreviewOut"]["properties"]) == {"html", "subject", "text"}
