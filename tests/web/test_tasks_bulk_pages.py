"""The tasks list's bulk bar (reassign, reschedule, close), its cells (owner, due date,
status) and Undo, through the pages
(Django's client, the real database: SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.events.models import Event
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import Role
from tests.factories import make_user
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 5)


def _task(owner, title: str, status=TaskStatus.OPEN) -> Task:
    return Task.objects.create(title=title, owner=owner, due=DUE, status=status)


def test_the_list_shows_the_bar_and_a_checkbox_per_task_to_those_who_change(client):
    manager = make_user(role=Role.MANAGER)
    task = _task(manager, "Call Ada")
    client.force_login(manager)
    page = client.get(reverse("web:tasks"), {"view": "all"}).content.decode()
    assert 'id="bulk-form"' in page and reverse("web:tasks-bulk") in page
    assert f'name="ids" value="{task.pk}" form="bulk-form"' in page
    assert 'data-bulk-filters="task-filters"' in page and 'id="task-filters"' in page
    assert 'data-list-total="1"' in page
    client.force_login(make_user(role=Role.ANALYST))
    read_only = client.get(reverse("web:tasks"), {"view": "all"}).content.decode()
    assert 'id="bulk-form"' not in read_only and 'name="ids"' not in read_only


def test_the_bar_reassigns_the_filtered_tasks_shows_the_counts_and_undoes(client):
    manager = make_user(role=Role.MANAGER)
    ann = make_user(role=Role.SUCCESS_MANAGER, username="ann")
    bob = make_user(role=Role.SUCCESS_MANAGER, username="bob")
    open_ = [_task(ann, f"Call {i}") for i in range(3)]
    closed = _task(ann, "Old", status=TaskStatus.DONE)
    client.force_login(manager)
    started = client.post(
        reverse("web:tasks-bulk"),
        {"all": "1", "query": "view=all&status=open", "operation": "owner_id",
         "owner_id": str(bob.pk)},
        **HTMX,
    )  # fmt: skip
    assert started.status_code == 200, started.content
    run = Run.objects.get(kind="bulk.tasks")
    assert reverse("web:tasks-bulk-run", args=[run.pk]) in started.content.decode()
    run_execute(run.pk)
    card = client.get(reverse("web:tasks-bulk-run", args=[run.pk]), **HTMX).content.decode()
    assert "Finished: 3 changed, 0 unchanged, 0 refused." in card
    assert set(Task.objects.filter(owner=bob).values_list("pk", flat=True)) == {t.pk for t in open_}
    assert Task.objects.get(pk=closed.pk).owner == ann
    page = client.get(reverse("web:tasks-bulk-run", args=[run.pk])).content.decode()
    assert "chosen tasks" in page and reverse("web:tasks") in page
    change_set = ChangeSet.objects.get(author=manager)
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX)
    assert undone.status_code == 200
    assert Task.objects.filter(owner=ann).count() == 4


def test_chosen_rows_are_rescheduled_and_a_bad_request_is_refused_in_words(client):
    manager = make_user(role=Role.MANAGER)
    tasks = [_task(manager, f"T{i}") for i in range(2)]
    client.force_login(manager)
    bad = client.post(
        reverse("web:tasks-bulk"),
        {"ids": [str(tasks[0].pk)], "operation": "due", "due": "2026-02-30"},
    )
    assert bad.status_code == 422 and "value" in bad.content.decode()
    nothing = client.post(reverse("web:tasks-bulk"), {"operation": "due", "due": "2026-02-01"})
    assert nothing.status_code == 422 and "choose at least one task" in nothing.content.decode()
    unknown = client.post(reverse("web:tasks-bulk"), {"all": "1", "operation": "title"})
    assert unknown.status_code == 422 and "choose what to do" in unknown.content.decode()
    assert not Run.objects.exists()
    started = client.post(
        reverse("web:tasks-bulk"),
        {"ids": [str(tasks[0].pk)], "operation": "due", "due": "2026-02-01"},
    )
    assert started.status_code == 302
    run_execute(Run.objects.get(kind="bulk.tasks").pk)
    assert Task.objects.get(pk=tasks[0].pk).due == date(2026, 2, 1)
    assert Task.objects.get(pk=tasks[1].pk).due == DUE  # not chosen


def test_an_analyst_is_refused_and_another_persons_run_is_not_found(client):
    analyst = make_user(role=Role.ANALYST)
    _task(make_user(role=Role.MANAGER), "T")
    client.force_login(analyst)
    refused = client.post(
        reverse("web:tasks-bulk"), {"all": "1", "operation": "status", "new_status": "done"}
    )
    assert refused.status_code == 403 and not Run.objects.exists()
    run = Run.objects.create(kind="bulk.tasks", requested_by=make_user(role=Role.MANAGER))
    client.force_login(make_user(role=Role.MANAGER))
    assert client.get(reverse("web:tasks-bulk-run", args=[run.pk])).status_code == 404


def test_the_list_refreshes_its_rows_alone_for_htmx(client):
    manager = make_user(role=Role.MANAGER)
    open_, done = _task(manager, "Open one"), _task(manager, "Done one", status=TaskStatus.DONE)
    client.force_login(manager)
    response = client.get(
        reverse("web:tasks"), {"view": "all", "status": "done"},
        HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results",
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Done one" in body and "Open one" not in body
    assert f'name="ids" value="{done.pk}"' in body and f'value="{open_.pk}"' not in body
    assert 'id="list-actions" hx-swap-oob="true"' in body  # the views menu saves this query
    page = client.get(reverse("web:tasks"), {"view": "all"}).content.decode()
    assert 'hx-get="/tasks/"' in page and 'id="results"' in page


# --- the tasks list's cells: owner, due date, status, through task_update ---------------------


def _cell(task: Task, name: str) -> str:
    return reverse("web:task-cell", args=[task.pk, name])


def test_the_rows_offer_their_cells_to_those_who_change_only(client):
    manager = make_user(role=Role.MANAGER)
    task = _task(manager, "Call Ada")
    client.force_login(manager)
    page = client.get(reverse("web:tasks"), {"view": "all"}).content.decode()
    for name in ("owner", "due", "status"):
        assert _cell(task, name) in page
    client.force_login(make_user(role=Role.ANALYST))
    read_only = client.get(reverse("web:tasks"), {"view": "all"}).content.decode()
    assert _cell(task, "due") not in read_only and f'id="task-cell-{task.pk}-due"' in read_only
    assert client.post(_cell(task, "due"), {"due": "2026-02-01"}, **HTMX).status_code == 403
    assert "data-cell-input" not in client.get(_cell(task, "due"), **HTMX).content.decode()
    assert Task.objects.get(pk=task.pk).due == DUE


def test_a_due_cell_names_a_bad_date_in_the_cell_then_saves_and_is_undone(client):
    manager = make_user(role=Role.MANAGER)
    task = _task(manager, "Call Ada")
    client.force_login(manager)
    opened = client.get(_cell(task, "due"), **HTMX).content.decode()
    assert "data-cell-input" in opened and 'value="2026-01-05"' in opened
    refused = client.post(_cell(task, "due"), {"due": "2026-02-30"}, **HTMX)
    body = refused.content.decode()
    assert refused.status_code == 200 and "Enter a valid date." in body
    assert 'aria-invalid="true"' in body and f'id="task-cell-{task.pk}-due-error"' in body
    assert client.post(_cell(task, "due"), {"due": ""}).status_code == 422
    saved = client.post(_cell(task, "due"), {"due": "2026-02-01"}, **HTMX).content.decode()
    assert "Feb 1, 2026" in saved and 'id="undo-toast" hx-swap-oob="innerHTML"' in saved
    assert Task.objects.get(pk=task.pk).due == date(2026, 2, 1)
    change_set = ChangeSet.objects.get(author=manager)
    assert change_set.label == "Call Ada: due changed"
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX).content.decode()
    assert f'id="task-cell-{task.pk}-due" hx-swap-oob="true"' in undone
    assert Task.objects.get(pk=task.pk).due == DUE


def test_owner_and_status_cells_go_through_task_update(client):
    manager = make_user(role=Role.MANAGER)
    bob = make_user(role=Role.SUCCESS_MANAGER, username="bob", first_name="Bob")
    gone = make_user(role=Role.SUCCESS_MANAGER, username="gone", is_active=False)
    task = _task(manager, "Call Ada")
    client.force_login(manager)
    opened = client.get(_cell(task, "owner"), **HTMX).content.decode()
    assert "Bob" in opened and "gone" not in opened  # active team members only
    refused = client.post(_cell(task, "owner"), {"owner": str(gone.pk)}, **HTMX).content.decode()
    assert "Select a valid choice" in refused and Task.objects.get(pk=task.pk).owner == manager
    client.post(_cell(task, "owner"), {"owner": str(bob.pk)}, **HTMX)
    assert Task.objects.get(pk=task.pk).owner == bob
    assert Event.objects.filter(kind="task.assigned", subject_id=task.pk).exists()
    done = client.post(_cell(task, "status"), {"status": "done"}, **HTMX).content.decode()
    assert "Done" in done
    closed = Task.objects.get(pk=task.pk)
    assert closed.status == TaskStatus.DONE and closed.completed_at is not None


def test_a_success_manager_edits_only_the_cells_of_their_book(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = _task(sam, "Mine"), _task(sue, "Theirs")
    client.force_login(sam)
    assert client.post(_cell(mine, "status"), {"status": "done"}, **HTMX).status_code == 200
    assert client.post(_cell(theirs, "status"), {"status": "done"}, **HTMX).status_code == 404
    assert Task.objects.get(pk=theirs.pk).status == TaskStatus.OPEN
    assert Task.objects.get(pk=mine.pk).status == TaskStatus.DONE
