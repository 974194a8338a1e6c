"""The due runner: waits and tasks done once, conditions re-checked before every step (exit
with the reason), branches, promotions held after a purchase, steps nothing runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.domain.playbook_steps import StepKind
from tenure.interactions.services import interaction_log
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.builtin import playbooks_builtin_ensure
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Enrollment, Playbook, StepRun
from tenure.playbooks.services import definition_of, playbook_enable
from tenure.playbooks.steps import Outcome, step_register
from tenure.todos.models import Task
from tests.factories import make_customer, make_order, make_user

from .conftest import make_playbook

pytestmark = pytest.mark.django_db


def _enrol(playbook, customer, now):
    return enrol(playbook, definition_of(playbook), [Candidate(customer.pk, "x", now)], now)


def test_a_wait_then_a_task_done_by_the_due_runner_once():
    playbook = make_playbook(
        slug="wait-task", steps=[{"kind": "wait", "days": 2},
                                 {"kind": "task", "title": "Call {customer}", "due_days": 3}],
    )  # fmt: skip
    owner = make_user()
    customer = make_customer(owner=owner, first_name="Grace", last_name="Hopper")
    now = timezone.now()
    _enrol(playbook, customer, now)
    assert enrollments_advance(now=now) == 1
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.step) == ("active", 0)
    assert enrollment.next_at == now + timedelta(days=2)
    assert enrollments_advance(now=now + timedelta(days=1)) == 0  # not due yet
    later = now + timedelta(days=2, minutes=1)
    assert enrollments_advance(now=later) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "completed" and enrollment.next_at is None
    task = Task.objects.get()
    assert (task.title, task.owner, task.source) == ("Call Grace Hopper", owner, "playbook")
    assert task.due == timezone.localdate(later) + timedelta(days=3)
    assert list(StepRun.objects.values_list("step", "status")) == [(0, "done"), (1, "done")]
    assert enrollments_advance(now=later + timedelta(days=5)) == 0
    assert Task.objects.count() == 1


def test_conditions_are_checked_again_before_each_step():
    playbook = make_playbook(
        slug="leads", conditions={"fact": "orders_count", "op": "==", "value": 0},
        steps=[{"kind": "wait", "days": 1}, {"kind": "task", "title": "Call"}],
    )  # fmt: skip
    customer = make_customer(owner=make_user())
    now = timezone.now()
    _enrol(playbook, customer, now)
    enrollments_advance(now=now)
    make_order(customer=customer, placed_at=now)  # no longer a lead
    enrollments_advance(now=now + timedelta(days=1, minutes=1))
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "exited"
    assert enrollment.reason == "the conditions no longer held before step 1"  # the wait's end
    assert not Task.objects.exists()


def test_a_task_for_a_customer_without_owner_is_skipped_with_the_reason():
    playbook = make_playbook(slug="no-owner")
    now = timezone.now()
    _enrol(playbook, make_customer(), now)
    enrollments_advance(now=now)
    run = StepRun.objects.get()
    assert (run.status, run.detail) == ("skipped", "the customer has no owner to give the task to")
    assert Enrollment.objects.get().status == "completed"


def test_an_email_step_naming_no_template_cannot_be_switched_on():
    playbook = make_playbook(
        slug="mail", enabled=False, steps=[{"kind": "email", "template": "nope"}]
    )
    with pytest.raises(ValidationError) as refused:
        playbook_enable(by=None, playbook_id=playbook.pk)
    assert refused.value.message_dict == {
        "steps[0].template": ['no email template "nope" (the Email > Templates page lists their '
                              "slugs)"]
    }  # fmt: skip
    Playbook.objects.filter(pk=playbook.pk).update(enabled=True)  # switched on behind our back
    now = timezone.now()
    _enrol(playbook, make_customer(), now)
    enrollments_advance(now=now)
    run = StepRun.objects.get()
    assert (run.status, run.detail) == ("failed", 'no email template "nope"')


def test_a_branch_on_ordered_goes_to_its_step():
    steps = [
        {"kind": "branch", "on": "ordered", "within_days": 7, "goto": 2},  # 2: the end
        {"kind": "task", "title": "No order: call"},
    ]
    playbook = make_playbook(slug="branch", steps=steps)
    buyer, silent = make_customer(owner=make_user()), make_customer(owner=make_user())
    now = timezone.now()
    _enrol(playbook, buyer, now)
    _enrol(playbook, silent, now)
    enrollments_advance(now=now)
    make_order(customer=buyer, placed_at=now + timedelta(hours=2))
    enrollments_advance(now=now + timedelta(hours=3))
    assert Enrollment.objects.get(customer=buyer).status == "completed"
    assert Enrollment.objects.get(customer=silent).status == "active"  # still watching
    assert not Task.objects.exists()
    enrollments_advance(now=now + timedelta(days=7, minutes=1))
    assert list(Task.objects.values_list("customer_id", "title")) == [(silent.pk, "No order: call")]


def test_promotions_wait_after_a_purchase():
    step_register(
        StepKind("test_offer", "Offer", promotes=lambda params: True),
        lambda ctx: Outcome("done", "offered"),
    )
    make_playbook(slug="check-in", no_promotion_days=14,
                  steps=[{"kind": "wait", "days": 30}])  # fmt: skip
    offer = make_playbook(slug="offer", steps=[{"kind": "test_offer"}])
    customer = make_customer()
    bought = timezone.now() - timedelta(days=2)
    make_order(customer=customer, placed_at=bought)
    now = timezone.now()
    _enrol(offer, customer, now)
    enrollments_advance(now=now)
    enrollment = Enrollment.objects.get(playbook=offer)
    assert enrollment.status == "active" and not StepRun.objects.exists()
    assert enrollment.next_at == bought + timedelta(days=14)
    assert enrollment.reason.startswith("held: no promotion")
    enrollments_advance(now=bought + timedelta(days=14, minutes=1))
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"


def test_the_builtin_complaint_playbook_and_the_rule_open_one_task(
    django_capture_on_commit_callbacks,
):
    playbooks_builtin_ensure()
    assert Playbook.objects.filter(builtin__gt="", enabled=False).count() == 8
    follow_up = Playbook.objects.get(builtin="complaint_follow_up")
    playbook_enable(by=None, playbook_id=follow_up.pk)
    author = make_user()
    customer = make_customer(owner=make_user())
    with django_capture_on_commit_callbacks(execute=True):
        complaint = interaction_log(
            author=author, customer=customer, kind="complaint", occurred_at=timezone.now(),
            subject="Broken", body="It broke",
        )  # fmt: skip
    assert Enrollment.objects.filter(playbook=follow_up).count() == 1
    enrollments_advance(now=timezone.now() + timedelta(seconds=1))
    tasks = Task.objects.filter(customer=customer)
    assert tasks.count() == 1
    assert tasks.get().source_key == f"complaint:{complaint.pk}"
    assert StepRun.objects.get().status in ("done", "skipped")
