"""/api/v1/voices and /voices/batch: one at a time or a batch, upserted, a retry with its
Idempotency-Key replayed, errors by item and field, the list's filters and each role's book."""

from __future__ import annotations

import pytest

from tenure.users.models import Role
from tenure.voices.models import Voice
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

from .helpers import make_voice

pytestmark = pytest.mark.django_db

BODY = {
    "source_kind": "review_site",
    "source_name": "Trustpilot",
    "external_id": "tp-77",
    "text": "Quick delivery",
    "rating": 4,
    "rating_scale": 5,
    "published_at": "2025-03-01T10:00:00Z",
}


def test_a_batch_is_stored_once_and_replayed_by_its_key(client):
    api = Api(client)
    customer = make_customer(email="ann@example.com")
    batch = {
        "voices": [
            {**BODY, "author_email": "ann@example.com"},
            {**BODY, "external_id": "tp-78", "url": "javascript:alert(1)"},
            {**BODY, "external_id": "tp-79", "published_at": "2025-03-01T10:00:00"},
            {**BODY, "external_id": "tp-80", "rating": 9},
        ]
    }
    first = api.post("/voices/batch", batch, **{"Idempotency-Key": "batch-1"})
    assert first.status_code == 200, first.content
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "error"]
    assert results[1]["errors"] == {"url": ["an http:// or https:// address"]}
    assert "published_at" in results[2]["errors"]
    assert results[3]["errors"] == {"rating": ["0 to the scale's highest, 5"]}
    replay = api.post("/voices/batch", batch, **{"Idempotency-Key": "batch-1"})
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    # Without the key, the stored voice comes back unchanged: still one.
    again = api.post("/voices/batch", {"voices": batch["voices"][:1]})
    assert again.json()["results"][0]["status"] == "unchanged"
    assert Voice.objects.get().customer_id == customer.pk


def test_one_voice_posted_read_matched_and_listed(client):
    api = Api(client)
    made = api.post("/voices", BODY)
    assert made.status_code == 201, made.content
    voice = made.json()
    assert (voice["customer_id"], voice["rating"], voice["rating_scale"]) == (None, 4, 5)
    refused = api.post("/voices", {**BODY, "url": "javascript:alert(1)"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"url": ["an http:// or https:// address"]}
    customer = make_customer()
    matched = api.patch(f"/voices/{voice['id']}", {"customer_id": customer.pk})
    assert matched.status_code == 200 and matched.json()["customer_id"] == customer.pk
    make_voice()  # unmatched
    listed = api.get("/voices", matched="false").json()["items"]
    assert [v["id"] for v in listed] == [Voice.objects.get(customer=None).pk]
    rated = api.get("/voices", rating_min=4, source_name="Trustpilot").json()["items"]
    assert [v["id"] for v in rated] == [voice["id"]]


def test_a_success_manager_sees_their_books_voices_and_no_unmatched_one(client):
    manager = make_user(role=Role.SUCCESS_MANAGER)
    own = make_voice(customer_id=make_customer(owner=manager).pk)
    make_voice(customer_id=make_customer(owner=make_user()).pk)
    unmatched = make_voice()
    theirs = Api(client, user=manager)
    assert [v["id"] for v in theirs.get("/voices").json()["items"]] == [own.pk]
    assert theirs.get(f"/voices/{unmatched.pk}").status_code == 404
    assert theirs.post("/voices", BODY).status_code == 422  # unmatched: not theirs to record
    analyst = Api(client, role=Role.ANALYST)
    assert len(analyst.get("/voices").json()["items"]) == 3
    assert analyst.post("/voices/batch", {"voices": [BODY]}).status_code == 403


def test_the_query_schema_declares_exactly_the_filtersets_filters():
    from tenure.api.voices import VoiceFilters
    from tenure.voices.filters import VoiceFilterSet

    assert set(VoiceFilters.model_fields) == set(VoiceFilterSet.base_filters)
