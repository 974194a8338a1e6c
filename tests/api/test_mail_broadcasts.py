"""/api/v1/mail/broadcasts: made, sent now, paused, resumed and cancelled through the API, the
counts that add up and the recipients' log paged; refusals as 409 and 422."""

from __future__ import annotations

import pytest

from tenure.mail.broadcasts import broadcasts_advance
from tenure.mail.models import Message, MessageStatus, Template
from tests.api.helpers import Api
from tests.mail.test_broadcasts import audience, newsletter

pytestmark = pytest.mark.django_db


def test_a_broadcast_through_the_api(client):
    api = Api(client)
    segment = audience(120)
    made = api.post("/mail/broadcasts", {"name": "Q4", "template_id": newsletter().pk,
                                         "segment_id": segment.pk, "valid_days": 5})  # fmt: skip
    assert made.status_code == 201, made.content
    broadcast = made.json()
    assert broadcast["status"] == "draft" and broadcast["counts"]["audience"] == 0
    path = f"/mail/broadcasts/{broadcast['id']}"
    assert api.patch(path, {"priority": 5}).json()["priority"] == 5

    scheduled = api.post(f"{path}/schedule", {})
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["status"] == "scheduled"  # now: the worker starts it
    assert broadcasts_advance().started == [broadcast["id"]]
    started = api.get(path)
    counts = started.json()["counts"]
    assert started.json()["status"] == "sending"
    assert (counts["audience"], counts["pending"], counts["sent"]) == (120, 120, 0)
    assert api.patch(path, {"priority": 1}).status_code == 409  # started: the ledger's now

    paused = api.post(f"{path}/pause", {}).json()
    assert paused["status"] == "paused" and paused["counts"]["held"] == 120
    assert api.post(f"{path}/pause", {}).status_code == 409
    recipients, pages = api.walk(f"{path}/recipients", limit=50)
    assert (len(recipients), pages) == (120, 3)
    assert {r["status"] for r in recipients} == {MessageStatus.HELD}
    assert len({r["customer_id"] for r in recipients}) == 120
    held = api.get(f"{path}/recipients", status="held", limit=1).json()
    assert len(held["items"]) == 1 and held["next_cursor"]

    assert api.post(f"{path}/resume", {}).json()["counts"]["held"] == 0
    cancelled = api.post(f"{path}/cancel", {"reason": "wrong date"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["reason"] == "wrong date"
    c = cancelled["counts"]
    assert c["expired"] == 120
    assert c["sent"] + c["skipped"] + c["failed"] + c["expired"] + c["pending"] == c["audience"]
    listed = api.get("/mail/broadcasts", status="cancelled").json()["items"]
    assert [b["id"] for b in listed] == [broadcast["id"]]


def test_refusals_say_why(client):
    api = Api(client)
    segment = audience(1)
    receipt = Template.objects.create(name="Receipt", kind="transactional", subject="s", text="t")
    refused = api.post("/mail/broadcasts", {"name": "R", "template_id": receipt.pk,
                                            "segment_id": segment.pk})  # fmt: skip
    assert refused.status_code == 422
    assert "a broadcast sends a marketing template" in refused.content.decode()
    draft = api.post("/mail/broadcasts", {"name": "No segment", "template_id": newsletter().pk})
    assert draft.status_code == 201
    no_audience = api.post(f"/mail/broadcasts/{draft.json()['id']}/schedule", {})
    assert no_audience.status_code == 422
    assert "choose the segment it goes to first" in no_audience.content.decode()
    later = api.post(f"/mail/broadcasts/{draft.json()['id']}", {})
    assert later.status_code == 405
    assert not Message.objects.exists()
