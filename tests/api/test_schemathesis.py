"""Schemathesis against the live server's OpenAPI document: no server error, no response that
breaks the documented schema. Bounded to a few examples per operation to stay quick."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tenure.users.models import Role
from tenure.users.services import api_token_create
from tests.factories import make_account, make_customer, make_user

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def api_token(transactional_db) -> str:
    user = make_user(role=Role.MANAGER)
    account = make_account(name="Seed account")
    make_customer(external_id="SEED-1", account=account)
    return api_token_create(user=user)[1]


@pytest.fixture
def api_schema(live_server, api_token):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    schema.config.headers = {"Authorization": f"Bearer {api_token}"}
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"},
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
