"""POST /api/v1/tasks/bulk: the same bulk service as the tasks list's bar, a retried request
runs once, an analyst is refused, a success manager's forged ids are refused per row."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 5)


def _task(owner, title: str, customer=None, status=TaskStatus.OPEN) -> Task:
    return Task.objects.create(title=title, owner=owner, customer=customer, due=DUE, status=status)


def test_a_retry_with_the_same_key_starts_one_run_that_closes_the_filtered_tasks(client):
    api = Api(client, Role.MANAGER)
    open_ = [_task(api.user, f"T{i}") for i in range(3)]
    cancelled = _task(api.user, "Gone", status=TaskStatus.CANCELLED)
    body = {"field": "status", "value": "done", "filters": {"status": "open"}}
    first = api.post("/tasks/bulk", body, **{"Idempotency-Key": "t-1"})
    assert first.status_code == 202, first.content
    again = api.post("/tasks/bulk", body, **{"Idempotency-Key": "t-1"})
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.filter(kind="bulk.tasks").count() == 1
    run_execute(first.json()["id"])
    done = api.get(f"/tasks/bulk/{first.json()['id']}").json()
    assert (done["status"], done["changed"], done["refused_count"]) == ("done", 3, 0)
    assert done["change_set"] is not None
    assert {t.status for t in Task.objects.filter(pk__in=[t.pk for t in open_])} == {"done"}
    assert Task.objects.get(pk=cancelled.pk).status == TaskStatus.CANCELLED
    # An accounts run's id is not a tasks run, nor the other way round.
    assert api.get(f"/accounts/bulk/{first.json()['id']}").status_code == 404


def test_forged_ids_of_another_book_are_refused_per_row_and_an_analyst_is_refused(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    mine = _task(sam, "Mine", customer=make_customer(owner=sam))
    theirs = _task(sue, "Theirs", customer=make_customer(owner=sue))
    api = Api(client, user=sam)
    body = {"field": "due", "value": "2026-03-01", "ids": [mine.pk, theirs.pk]}
    started = api.post("/tasks/bulk", body)
    assert started.status_code == 202, started.content
    run_execute(started.json()["id"])
    done = api.get(f"/tasks/bulk/{started.json()['id']}").json()
    assert done["changed"] == 1
    assert done["refused"] == [{"id": theirs.pk, "reason": f"no task with id {theirs.pk}"}]
    assert Task.objects.get(pk=mine.pk).due == date(2026, 3, 1)
    assert Task.objects.get(pk=theirs.pk).due == DUE
    # Sue cannot read Sam's run.
    assert Api(client, user=sue).get(f"/tasks/bulk/{started.json()['id']}").status_code == 404
    analyst = Api(client, Role.ANALYST)
    refused = analyst.post("/tasks/bulk", {"field": "status", "value": "done"})
    assert refused.status_code == 403
    assert Run.objects.filter(kind="bulk.tasks").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"field": "title", "value": "x"}, "field"),
        ({"field": "due", "value": "tomorrow"}, "value"),
        ({"field": "owner_id", "value": 999_999}, "value"),
        ({"field": "status", "value": "maybe"}, "value"),
        ({"field": "status", "value": "done", "filters": {"view": "someday"}}, "view"),
    ],
)
def test_a_bad_request_is_refused_on_its_field(client, body, field):
    api = Api(client, Role.MANAGER)
    response = api.post("/tasks/bulk", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["error"])
    assert not Run.objects.exists()
