"""Tasks: by hand, from the at-risk list (one click, once), and by the complaint rule; the
task views; who may see and change which task; events from imports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tenure.access import visible
from tenure.events.models import Event
from tenure.interactions.services import interaction_log
from tenure.lifecycle import following
from tenure.lifecycle.models import CustomerStage, HealthScore
from tenure.lifecycle.selectors import customer_stage_history
from tenure.lifecycle.services import complaint_follow_up, lifecycle_recompute, task_from_at_risk
from tenure.todos.models import Task, TaskSource, TaskStatus
from tenure.todos.selectors import tasks_for
from tenure.todos.services import task_comment_add, task_complete, task_create
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def test_a_complaint_opens_one_follow_up_for_the_owner(django_capture_on_commit_callbacks):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    author = make_user(role=Role.MANAGER)
    customer = make_customer(owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = interaction_log(
            author=author, customer=customer, kind="complaint", occurred_at=timezone.now(),
            subject="Parcel arrived broken",
        )  # fmt: skip
    task = Task.objects.get(customer=customer)
    assert (task.owner, task.source, task.rule, task.interaction_id) == (
        owner,
        TaskSource.RULE,
        "complaint_follow_up",
        complaint.pk,
    )
    assert "Parcel arrived broken" in task.body and task.status == TaskStatus.OPEN
    # the event delivered again: still one task
    assert complaint_follow_up(interaction_id=complaint.pk) is None
    assert Task.objects.filter(customer=customer).count() == 1
    # the event also updated the customer's health: one open complaint
    health = HealthScore.objects.get(customer=customer)
    assert health.components["complaints"] == 50.0
    assert list(tasks_for(user=owner, scope="mine")) == [task]


def test_a_note_opens_no_task(django_capture_on_commit_callbacks):
    customer = make_customer(owner=make_user())
    with django_capture_on_commit_callbacks(execute=True):
        interaction_log(
            author=None, customer=customer, kind="note", occurred_at=timezone.now(), body="Hi"
        )
    assert not Task.objects.exists()


def _at_risk_customer(owner=None):
    customer = make_customer(owner=owner)
    now = timezone.now()
    make_order(customer=customer, placed_at=now - timedelta(days=160))
    make_order(customer=customer, placed_at=now - timedelta(days=110))
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    assert CustomerStage.objects.get(customer=customer).stage == "at_risk"
    return customer


def test_the_at_risk_follow_up_is_created_once():
    owner = make_user(role=Role.SUCCESS_MANAGER)
    customer = _at_risk_customer(owner)
    first = task_from_at_risk(by=owner, customer_id=customer.pk)
    again = task_from_at_risk(by=owner, customer_id=customer.pk)
    assert first.pk == again.pk and Task.objects.count() == 1
    assert first.owner == owner and first.source == TaskSource.AT_RISK
    # the reason of the move, dated when it came true: 2 x their 50-day gap after the last order
    assert first.body.startswith("No order for 100 days; their usual gap is 50 days")
    task_complete(by=owner, task_id=first.pk)
    # once done, the next click opens a new one
    assert task_from_at_risk(by=owner, customer_id=customer.pk).pk != first.pk


def test_at_risk_follow_up_of_a_customer_outside_ones_scope_is_not_found():
    customer = _at_risk_customer()
    with pytest.raises(Http404):
        task_from_at_risk(by=make_user(role=Role.SUCCESS_MANAGER), customer_id=customer.pk)
    assert not Task.objects.exists()


def test_task_views_and_scopes():
    sam = make_user(role=Role.SUCCESS_MANAGER)
    boss = make_user(role=Role.MANAGER)
    mine = make_customer(owner=sam)
    today = timezone.localdate()
    overdue = task_create(
        by=boss, title="Call back", owner=boss, due=today - timedelta(days=1), customer_id=mine.pk
    )
    own = task_create(by=sam, title="Send samples", owner=sam, due=today, priority="high")
    elsewhere = task_create(by=boss, title="Boss only", owner=boss, due=today - timedelta(days=3))
    assert list(tasks_for(user=sam, scope="mine")) == [own]
    assert list(tasks_for(user=sam, scope="overdue")) == [overdue]  # about their customer
    assert list(tasks_for(user=boss, scope="overdue")) == [elsewhere, overdue]
    assert set(visible(sam, Task)) == {own, overdue}
    task_complete(by=sam, task_id=own.pk)
    assert list(tasks_for(user=sam, scope="all"))[-1] == own  # done ones last
    comment = task_comment_add(by=sam, task_id=overdue.pk, body="Left a voicemail")
    assert comment.author == sam
    with pytest.raises(Http404):
        task_comment_add(by=sam, task_id=elsewhere.pk, body="?")
    with pytest.raises(ValidationError):
        task_create(by=sam, title="x", owner=None, due=today)
    with pytest.raises(ValidationError):  # not their customer
        task_create(by=sam, title="x", owner=sam, due=today, customer_id=make_customer().pk)


def test_a_customer_history_lists_the_moves_and_hides_others(django_capture_on_commit_callbacks):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    customer = make_customer(owner=sam)
    with django_capture_on_commit_callbacks(execute=True):
        make_order(customer=customer, placed_at=timezone.now())
    history = customer_stage_history(user=sam, customer_id=customer.pk)
    assert history.stage_name == "Acquisition"
    # a lead from the moment their record began, a buyer from their order on
    assert [(m.to_stage, m.cause) for m in history.transitions] == [
        ("reach", "order"),
        ("acquisition", "order"),
    ]
    assert history.health is not None and history.health_history
    with pytest.raises(Http404):
        customer_stage_history(user=make_user(role=Role.SUCCESS_MANAGER), customer_id=customer.pk)


def test_a_large_batch_goes_to_the_worker(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "tenure.lifecycle.services.async_task", lambda *args, **kwargs: queued.append(args)
    )
    ids = list(range(1, following.INLINE_MAX + 2))
    at = timezone.now() - timedelta(days=30)

    def events(via: str, kind: str = "customer.changed", subject: str = "customer"):
        return [
            Event(kind=kind, subject=subject, customer_id=i, subject_id=i, at=at, via=via, data={})
            for i in ids
        ]

    following.stages_follow(events("api"))
    following.stages_follow(events("import", "order.placed", "order"))
    assert queued == [
        ("tenure.lifecycle.tasks.lifecycle_recompute_job", ids, "customer", {}),
        ("tenure.lifecycle.tasks.lifecycle_recompute_job", ids, "import", dict.fromkeys(ids, at)),
    ]
