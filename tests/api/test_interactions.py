"""/api/v1/interactions: cases open and resolve; a case keeps its status rules."""

from __future__ import annotations

import pytest

from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def test_a_complaint_opens_and_is_resolved(client):
    api = Api(client)
    customer = make_customer()
    created = api.post(
        "/interactions",
        {
            "customer_id": customer.pk,
            "kind": "complaint",
            "occurred_at": "2025-03-01T10:00:00Z",
            "subject": "Beans arrived stale",
        },
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert (case["status"], case["resolved_at"]) == ("open", None)

    resolved = api.patch(
        f"/interactions/{case['id']}", {"status": "resolved", "resolution": "Sent a fresh bag"}
    ).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    reopened = api.patch(f"/interactions/{case['id']}", {"status": "open"}).json()
    assert reopened["resolved_at"] is None
    assert (
        api.get("/interactions", status="open", kind="complaint").json()["items"][0]["id"]
        == case["id"]
    )


def test_interaction_rules(client):
    api = Api(client)
    customer = make_customer()
    base = {"customer_id": customer.pk, "occurred_at": "2025-03-01T10:00:00Z", "body": "hi"}
    note_with_status = api.post("/interactions", {**base, "kind": "note", "status": "open"})
    assert "status" in note_with_status.json()["error"]["fields"]
    empty = api.post("/interactions", {**base, "kind": "call", "body": ""})
    assert "body" in empty.json()["error"]["fields"]
    nobody = api.post(
        "/interactions", {"kind": "call", "occurred_at": base["occurred_at"], "body": "x"}
    )
    assert "customer" in nobody.json()["error"]["fields"]

    outsider = Api(client, Role.SUCCESS_MANAGER)
    theirs = make_customer(owner=make_user())
    refused = outsider.post("/interactions", {**base, "customer_id": theirs.pk, "kind": "call"})
    assert refused.status_code == 422
    assert "customer_id" in refused.json()["error"]["fields"]
