"""Property: whatever a caller sends in any API body or query (hostile moments, offsets,
text, numbers, sizes; ``tests.strategies``), the answer is never a 5xx, and everything
stored can be read back by every reader (``readback.read_everything``).

The operations come from the API's own OpenAPI document (``openapi_bodies``). Examples per
operation are few (``TENURE_PROPERTY_EXAMPLES``, default 6) to keep the suite's time modest;
set it higher, and ``TENURE_PROPERTY_SEED``, to hunt.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_order
from tests.properties.openapi_bodies import Operation, hostile_body, operations
from tests.properties.readback import read_everything
from tests.strategies import hostile_for

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("TENURE_PROPERTY_EXAMPLES", "6"))
SEED = int(os.environ.get("TENURE_PROPERTY_SEED", "0"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not SEED,
    suppress_health_check=list(HealthCheck),
    database=None,
)
PREFIX = "/api/v1"


def _json(value) -> str:
    # Python's JSON writes NaN and Infinity, as broken clients do; lone surrogates as \ud800.
    return json.dumps(value, allow_nan=True)


def _query(params: dict[str, object]) -> str:
    def text(value: object) -> bytes:
        shown = value if isinstance(value, str) else _json(value)
        return shown.encode("utf-8", "surrogatepass")  # a lone surrogate as its bytes

    return "&".join(f"{quote(name)}={quote(text(value))}" for name, value in params.items())


@pytest.fixture
def world(client, tmp_path):
    """An admin's API and pages, the API's document, and seed records every id can name."""
    api = Api(client, role=Role.ADMIN)
    web = Client()
    web.force_login(api.user)
    document = client.get(f"{PREFIX}/openapi.json").json()
    account = make_account(name="Seed")
    customer = make_customer(external_id="SEED-1", account=account)
    other = make_customer(external_id="SEED-2", account=account)
    order = make_order(customer=customer)
    contact = api.post("/contacts", {"account_id": account.pk, "first_name": "Ann"}).json()
    interaction = api.post(
        "/interactions",
        {
            "customer_id": customer.pk,
            "kind": "note",
            "subject": "Hi",
            "occurred_at": "2025-01-01T00:00:00Z",
        },
    ).json()
    task = api.post("/tasks", {"title": "Call", "due": "2025-06-01"}).json()
    definitions = api.get("/lifecycle/definitions").json()
    seeds = {
        "customer_id": customer.pk,
        "referrer_id": customer.pk,
        "referred_customer_id": other.pk,
        "account_id": account.pk,
        "contact_id": contact["id"],
        "owner_id": api.user.pk,
        "order_id": order.pk,
        "interaction_id": interaction["id"],
        "task_id": task["id"],
        "definition": definitions[0]["definition"],
    }
    return api, web, document, seeds, tmp_path


_RESOURCE_IDS = {
    "customers": "customer_id",
    "accounts": "account_id",
    "contacts": "contact_id",
    "orders": "order_id",
    "interactions": "interaction_id",
    "tasks": "task_id",
}


def _path(operation: Operation, seeds: dict, records: dict[str, int]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "record_id":
            resource = operation.path.split("/")[3]
            return str(records.get(resource) or seeds.get(_RESOURCE_IDS.get(resource, ""), 1))
        return str(seeds.get(name, seeds["customer_id"]))

    return re.sub(r"\{(\w+)\}", fill, operation.path)


def _records(api: Api) -> dict[str, int]:
    """One record of each resource without a seed of its own, created validly."""
    customer = api.get("/customers").json()["items"][0]["id"]
    made = {
        "subscriptions": api.post(
            "/subscriptions",
            {
                "customer_id": customer,
                "plan": "Pro",
                "amount": "9.00",
                "currency": "EUR",
                "interval": "month",
                "started_at": "2025-01-01T00:00:00Z",
            },
        ),
        "referrals": api.post(
            "/referrals", {"referrer_id": customer, "referred_at": "2025-01-01T00:00:00Z"}
        ),
        "survey-responses": api.post(
            "/survey-responses",
            {
                "customer_id": customer,
                "kind": "nps",
                "score": 9,
                "answered_at": "2025-01-01T00:00:00Z",
            },
        ),
    }
    for name, response in made.items():
        assert response.status_code == 201, (name, response.content)
    return {name: response.json()["id"] for name, response in made.items()}


def test_no_body_makes_a_server_error_and_every_stored_row_reads_back(world):
    api, web, document, seeds, tmp_path = world
    records = _records(api)
    writes = [op for op in operations(document) if op.body is not None]
    assert len(writes) >= 20  # every POST and PATCH with a body, read from the document
    for operation in writes:
        path = _path(operation, seeds, records)

        @SETTINGS
        @seed(SEED)
        @given(body=hostile_body(document, operation.body, seeds))
        def send(body):
            response = api.client.generic(
                operation.method, path, _json(body), content_type="application/json",
                headers=api.headers,
            )  # fmt: skip
            assert response.status_code < 500, (operation.method, path, body, response.content)
            if operation.path.endswith("/orders/bulk") and response.status_code == 200:
                results = response.json()["results"]
                # The valid orders around a hostile one are stored whatever it is.
                assert results[0]["status"] != "error", results
                if len(results) == 3:
                    assert results[2]["status"] != "error", results

        send()
    read_everything(api, web, tmp_path)


def test_no_query_makes_a_server_error(world):
    api, _, document, seeds, _ = world
    records = _records(api)
    reads = [op for op in operations(document) if op.method == "GET" and op.query]
    assert len(reads) >= 15
    for operation in reads:
        path = _path(operation, seeds, records)
        names = sorted(operation.query)

        @SETTINGS
        @seed(SEED)
        @given(
            params=st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(
                lambda chosen: st.fixed_dictionaries(
                    {name: hostile_for(operation.query[name], name) for name in chosen}
                )
            )
        )
        def ask(params):
            response = api.client.get(f"{path}?{_query(params)}", headers=api.headers)
            assert response.status_code < 500, (path, params, response.content[:500])

        ask()
