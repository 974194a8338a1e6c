"""POST /api/v1/customers/bulk: the same bulk service as the page, a retried request runs once,
an analyst is refused, a success manager's forged ids are refused per row."""

from __future__ import annotations

import pytest

from tenure.customers.models import Customer
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_starts_nothing(client):
    api = Api(client, Role.MANAGER)
    chosen = [make_customer(category="old") for _ in range(3)]
    body = {"action": "set", "field": "category", "value": "new", "filters": {"category": "old"}}
    first = api.post("/customers/bulk", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202, first.content
    again = api.post("/customers/bulk", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.filter(kind="bulk.customers").count() == 1
    run_execute(first.json()["id"])
    done = api.get(f"/customers/bulk/{first.json()['id']}").json()
    assert (done["status"], done["changed"], done["refused_count"]) == ("done", 3, 0)
    assert set(
        Customer.objects.filter(pk__in=[c.pk for c in chosen]).values_list("category", flat=True)
    ) == {"new"}


def test_forged_ids_of_another_book_are_refused_per_row(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=sam)
    own = make_customer(owner=sam)
    theirs = make_customer(owner=sue, channel="keep")
    body = {"action": "set", "field": "channel", "value": "api", "ids": [own.pk, theirs.pk]}
    started = api.post("/customers/bulk", body)
    run_execute(started.json()["id"])
    done = api.get(f"/customers/bulk/{started.json()['id']}").json()
    assert done["changed"] == 1
    assert done["refused"] == [{"id": theirs.pk, "reason": f"no customer with id {theirs.pk}"}]
    assert Customer.objects.get(pk=theirs.pk).channel == "keep"
    # Another's run is not found.
    assert Api(client, user=sue).get(f"/customers/bulk/{started.json()['id']}").status_code == 404


def test_an_analyst_is_refused_and_a_bad_field_is_named(client):
    body = {"action": "delete", "ids": [make_customer().pk]}
    assert Api(client, Role.ANALYST).post("/customers/bulk", body).status_code == 403
    assert not Run.objects.exists()
    refused = Api(client, Role.ADMIN).post(
        "/customers/bulk", {"action": "set", "field": "email", "value": "x@y.z"}
    )
    assert refused.status_code == 422 and "field" in refused.json()["error"]["fields"]
