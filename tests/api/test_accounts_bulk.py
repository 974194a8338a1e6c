"""POST /api/v1/accounts/bulk: the same bulk service as the accounts list's bar, a retried
request runs once, an analyst is refused, a success manager's forged ids are refused per row."""

from __future__ import annotations

import pytest

from tenure.customers.models import Account
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_starts_one_run(client):
    api = Api(client, Role.MANAGER)
    chosen = [make_account(industry="old") for _ in range(3)]
    body = {"action": "set", "field": "industry", "value": "new", "filters": {"industry": "old"}}
    first = api.post("/accounts/bulk", body, **{"Idempotency-Key": "a-1"})
    assert first.status_code == 202, first.content
    again = api.post("/accounts/bulk", body, **{"Idempotency-Key": "a-1"})
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.filter(kind="bulk.accounts").count() == 1
    run_execute(first.json()["id"])
    done = api.get(f"/accounts/bulk/{first.json()['id']}").json()
    assert (done["status"], done["changed"], done["refused_count"]) == ("done", 3, 0)
    assert set(
        Account.objects.filter(pk__in=[a.pk for a in chosen]).values_list("industry", flat=True)
    ) == {"new"}
    # A customers run's id is not an accounts run.
    assert api.get(f"/customers/bulk/{first.json()['id']}").status_code == 404


def test_forged_ids_of_another_book_are_refused_per_row(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=sam)
    own = make_account(owner=sam)
    theirs = make_account(owner=sue, size_band="1-10")
    body = {"action": "set", "field": "size_band", "value": "1000+", "ids": [own.pk, theirs.pk]}
    started = api.post("/accounts/bulk", body)
    run_execute(started.json()["id"])
    done = api.get(f"/accounts/bulk/{started.json()['id']}").json()
    assert done["changed"] == 1
    assert done["refused"] == [{"id": theirs.pk, "reason": f"no account with id {theirs.pk}"}]
    assert Account.objects.get(pk=theirs.pk).size_band == "1-10"
    assert Account.objects.get(pk=own.pk).size_band == "1000+"
    assert Api(client, user=sue).get(f"/accounts/bulk/{started.json()['id']}").status_code == 404


def test_an_analyst_is_refused_and_a_bad_field_is_named(client):
    body = {"action": "delete", "ids": [make_account().pk]}
    assert Api(client, Role.ANALYST).post("/accounts/bulk", body).status_code == 403
    assert not Run.objects.exists()
    refused = Api(client, Role.ADMIN).post(
        "/accounts/bulk", {"action": "set", "field": "name", "value": "x"}
    )
    assert refused.status_code == 422 and "field" in refused.json()["error"]["fields"]
    assert not Run.objects.exists()
