"""Bulk changes of tasks against the real database (SQLite and PostgreSQL): reassigned,
rescheduled or closed through ``task_update`` one by one, refused per row outside one's book,
undone by their author."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.bulk.task_bulk import tasks_bulk_apply, tasks_bulk_start
from tenure.bulk.undo import UndoRefused, changeset_undo
from tenure.events.models import Event
from tenure.jobs.runner import run_execute
from tenure.todos.models import Task, TaskStatus
from tenure.todos.services import task_update
from tests.factories import T0, make_customer, make_user

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=400)
DUE = date(2026, 1, 5)


def _task(owner, title: str, customer=None, status=TaskStatus.OPEN) -> Task:
    return Task.objects.create(
        title=title, owner=owner, customer=customer, due=DUE, status=status, created_by=owner
    )


def test_a_manager_reassigns_the_open_tasks_of_a_colleague_then_undoes_it():
    boss = make_user(role="manager")
    ann = make_user(role="success_manager", username="ann")
    bob = make_user(role="success_manager", username="bob")
    open_ = [_task(ann, f"Call {i}") for i in range(3)]
    done = _task(ann, "Old", status=TaskStatus.DONE)
    result = tasks_bulk_apply(
        by=boss, action="set", params={"field": "owner_id", "value": str(bob.pk)},
        filters={"view": "all", "status": "open"}, ids=None, now=NOW,
    )  # fmt: skip
    assert (result["changed"], result["unchanged"], result["refused"]) == (3, 0, [])
    assert set(Task.objects.filter(owner=bob).values_list("pk", flat=True)) == {t.pk for t in open_}
    assert Task.objects.get(pk=done.pk).owner == ann  # the filter chose the open ones only
    # Each is a single edit's change: its history, and the new owner hears of it.
    assert LogEntry.objects.get_for_object(open_[0]).filter(changes__icontains="owner").exists()
    assigned = Event.objects.filter(kind="task.assigned", data__owner_id=bob.pk)
    assert set(assigned.values_list("subject_id", flat=True)) == {t.pk for t in open_}
    changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Task.objects.filter(owner=ann).count() == 4


def test_rescheduled_and_closed_with_unchanged_counted():
    boss = make_user(role="manager")
    tasks = [_task(boss, f"T{i}") for i in range(3)]
    task_update(by=boss, task_id=tasks[0].pk, changes={"due": date(2026, 2, 1)})
    ids = [t.pk for t in tasks]
    moved = tasks_bulk_apply(
        by=boss, action="set", params={"field": "due", "value": "2026-02-01"}, filters={},
        ids=ids, now=NOW,
    )  # fmt: skip
    assert (moved["changed"], moved["unchanged"]) == (2, 1)
    assert set(Task.objects.values_list("due", flat=True)) == {date(2026, 2, 1)}
    closed = tasks_bulk_apply(
        by=boss, action="set", params={"field": "status", "value": "done"}, filters={},
        ids=ids, now=NOW,
    )  # fmt: skip
    assert closed["changed"] == 3
    assert all(t.completed_at is not None for t in Task.objects.all())  # as one edit's close
    changeset_undo(by=boss, change_set_id=closed["change_set"], now=NOW)
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.OPEN}
    assert not Task.objects.filter(completed_at__isnull=False).exists()


def test_a_success_manager_changes_only_their_book_and_forged_ids_are_refused_per_row():
    sam = make_user(role="success_manager", username="sam")
    sue = make_user(role="success_manager", username="sue")
    mine = _task(sam, "Mine", customer=make_customer(owner=sam))
    theirs = _task(sue, "Theirs", customer=make_customer(owner=sue))
    result = tasks_bulk_apply(
        by=sam, action="set", params={"field": "due", "value": "2026-03-01"},
        filters={"view": "all"}, ids=[mine.pk, theirs.pk, 999_999], now=NOW,
    )  # fmt: skip
    assert result["changed"] == 1
    assert result["refused"] == [
        {"id": theirs.pk, "reason": f"no task with id {theirs.pk}"},
        {"id": 999_999, "reason": "no task with id 999999"},
    ]
    assert Task.objects.get(pk=theirs.pk).due == DUE


def test_undo_is_refused_after_a_later_change_and_by_another_person():
    boss = make_user(role="manager")
    other = make_user(role="manager")
    task = _task(boss, "T")
    result = tasks_bulk_apply(
        by=boss, action="set", params={"field": "status", "value": "cancelled"}, filters={},
        ids=[task.pk], now=NOW,
    )  # fmt: skip
    with pytest.raises(UndoRefused, match="Only its author or an admin"):
        changeset_undo(by=other, change_set_id=result["change_set"], now=NOW)
    task_update(by=boss, task_id=task.pk, changes={"status": "done"})
    with pytest.raises(UndoRefused, match="status was changed since"):
        changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"field": "title", "value": "x"}, "field"),
        ({"field": "owner_id", "value": "abc"}, "value"),
        ({"field": "owner_id", "value": "999999"}, "value"),
        ({"field": "due", "value": "2026-02-30"}, "value"),
        ({"field": "status", "value": "maybe"}, "value"),
    ],
)
def test_a_bad_request_names_its_field(params, field):
    boss = make_user(role="manager")
    _task(boss, "T")
    with pytest.raises(ValidationError) as refused:
        tasks_bulk_start(by=boss, action="set", params=params, filters={}, ids=None, via="api")
    assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as wrong:
        tasks_bulk_start(
            by=boss, action="set", params={"field": "due", "value": "2026-02-01"},
            filters={"status": "someday"}, ids=None, via="api",
        )  # fmt: skip
    assert "status" in wrong.value.message_dict


def test_an_analyst_is_refused_and_the_run_does_the_change():
    with pytest.raises(AccessDenied):
        tasks_bulk_start(
            by=make_user(role="analyst"), action="set",
            params={"field": "status", "value": "done"}, filters={}, ids=None, via="web",
        )  # fmt: skip
    boss = make_user(role="manager")
    task = _task(boss, "T")
    run = tasks_bulk_start(
        by=boss, action="set", params={"field": "status", "value": "done"}, filters={},
        ids=[task.pk], via="web",
    )  # fmt: skip
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN  # the worker does it
    finished = run_execute(run.pk)
    assert finished["status"] == "done"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
