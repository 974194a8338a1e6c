"""Onboarding: a new account gets its checklist once (by the built-in playbook, the event
delivered twice), with tasks for the owners the steps name; progress, time to first value and
overdue steps worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.access.scopes import AccessDenied
from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.builtin import playbooks_builtin_ensure
from tenure.playbooks.models import Playbook, StepRun
from tenure.playbooks.services import playbook_enable
from tenure.playbooks.triggers import TRIGGERS
from tenure.success.builtin import templates_builtin_ensure
from tenure.success.models import ChecklistStep, ChecklistTemplate, Onboarding, StepOwner
from tenure.success.onboarding import onboarding_start
from tenure.success.selectors import onboarding_view, overdue_onboardings
from tenure.todos.models import Task, TaskStatus
from tenure.todos.services import task_complete
from tests.factories import make_account, make_customer, make_user

pytestmark = pytest.mark.django_db


def _advance_all(now):
    while enrollments_advance(now=now):
        pass


def _redeliver_everything():
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)


def test_a_new_account_gets_its_onboarding_once_with_tasks_for_the_right_owners():
    template = templates_builtin_ensure()
    playbooks_builtin_ensure()
    playbook = Playbook.objects.get(builtin="onboard_accounts")
    playbook_enable(by=None, playbook_id=playbook.pk)
    owner = make_user(role="success_manager")
    make_user(role="manager", is_active=False)  # an inactive manager owns nothing
    manager = make_user(role="manager")
    now = timezone.now()
    account = make_account(owner=owner, created_at=now)
    old = make_account(owner=owner, created_at=now - timedelta(days=400))
    make_customer(account=account, owner=owner)
    make_customer(account=account)  # a second contact of the same account
    make_customer(account=old)  # an old account's new contact: no onboarding
    consumer_drain(TRIGGERS)
    _advance_all(now + timedelta(minutes=1))
    _redeliver_everything()  # every event again, as after a worker died
    _advance_all(now + timedelta(minutes=2))

    onboarding = Onboarding.objects.get()
    assert onboarding.account_id == account.pk and onboarding.template_id == template.pk
    tasks = Task.objects.filter(account=account).order_by("due", "id")
    start = onboarding.started_at.date()
    assert [(t.title, t.owner_id, t.due) for t in tasks] == [
        ("Kickoff meeting with the account", owner.pk, start + timedelta(days=2)),
        ("Set up: their users, data and access", owner.pk, start + timedelta(days=7)),
        ("Check the set-up is complete", manager.pk, start + timedelta(days=10)),
        ("First value reached: they use it for real", owner.pk, start + timedelta(days=30)),
    ]
    assert not Task.objects.filter(account=old).exists()
    runs = StepRun.objects.filter(enrollment__playbook=playbook).order_by("id")
    named = f"onboarding {onboarding.pk} "  # its number only: "30 days" may hold it too
    assert sorted(run.detail.replace(named, "onboarding N ") for run in runs) == [
        "created more than 30 days ago: not new",
        "onboarding N started",
        "onboarding N started already",
    ]
    assert Event.objects.filter(kind="success.onboarding_started").count() == 1


def test_starting_again_by_hand_opens_no_task_twice_and_refuses_the_wrong_subject():
    template = templates_builtin_ensure()
    owner = make_user(role="success_manager")
    make_user(role="manager")
    account = make_account(owner=owner)
    now = datetime(2025, 3, 3, 9, tzinfo=UTC)
    first, new = onboarding_start(by=None, template_id=template.pk, account_id=account.pk, now=now)
    again, new_again = onboarding_start(
        by=None, template_id=template.pk, account_id=account.pk, now=now + timedelta(days=1)
    )
    assert (new, new_again, first.pk) == (True, False, again.pk)
    assert Task.objects.filter(account=account).count() == 4
    with pytest.raises(ValidationError) as error:
        onboarding_start(by=None, template_id=template.pk, customer_id=make_customer().pk, now=now)
    assert "is for accounts" in str(error.value)
    with pytest.raises(AccessDenied):
        onboarding_start(
            by=make_user(role="analyst"), template_id=template.pk, account_id=account.pk, now=now
        )
    orphan = make_account()  # no owner: the owner's steps have no one
    with pytest.raises(ValidationError) as error:
        onboarding_start(by=None, template_id=template.pk, account_id=orphan.pk, now=now)
    assert "has no owner" in str(error.value)
    assert not Onboarding.objects.filter(account=orphan).exists()  # rolled back whole


def test_progress_first_value_and_overdue_worked_by_hand():
    owner = make_user(role="success_manager")
    other = make_user(role="success_manager")
    member = make_user(role="manager")
    template = ChecklistTemplate.objects.create(name="Small")
    steps = [
        ("Kickoff", 1, StepOwner.RECORD_OWNER, None, False),
        ("Import data", 5, StepOwner.MEMBER, member, False),
        ("First report", 10, StepOwner.RECORD_OWNER, None, True),
        ("Training", 20, StepOwner.RECORD_OWNER, None, False),
    ]
    for position, (title, days, kind, who, first_value) in enumerate(steps):
        ChecklistStep.objects.create(
            template=template, position=position, title=title, days_after_start=days,
            owner_kind=kind, member=who, first_value=first_value,
        )  # fmt: skip
    account = make_account(owner=owner)
    started = datetime(2025, 3, 1, 9, tzinfo=UTC)
    onboarding, _ = onboarding_start(
        by=None, template_id=template.pk, account_id=account.pk, now=started
    )
    tasks = {t.title: t for t in Task.objects.filter(account=account)}
    assert tasks["Import data"].owner_id == member.pk
    task_complete(by=None, task_id=tasks["Kickoff"].pk)
    task_complete(by=None, task_id=tasks["First report"].pk)
    reached = datetime(2025, 3, 8, 15, tzinfo=UTC)  # 7 days 6 hours after the start
    Task.objects.filter(pk=tasks["First report"].pk).update(completed_at=reached)

    today = date(2025, 3, 12)  # Import data (due 6 March) is open past due; Training is not
    view = onboarding_view(onboarding, today)
    assert (view.done, view.progress, view.percent) == (2, 0.5, 50)
    assert view.first_value_at == reached
    assert view.time_to_first_value == timedelta(days=7, hours=6)
    assert view.overdue == 1 and view.completed_at is None
    assert [s.step.title for s in view.steps if s.overdue] == ["Import data"]

    assert [v.onboarding.pk for v in overdue_onboardings(user=owner, today=today)] == [
        onboarding.pk
    ]
    assert overdue_onboardings(user=other, today=today) == []
    assert overdue_onboardings(user=owner, today=date(2025, 3, 5)) == []  # nothing late yet

    for title in ("Import data", "Training"):
        task_complete(by=None, task_id=tasks[title].pk)
    finished = onboarding_view(onboarding, today)
    assert finished.progress == 1.0 and finished.overdue == 0
    assert finished.completed_at == max(
        t.completed_at for t in Task.objects.filter(account=account)
    )
    assert Task.objects.filter(account=account, status=TaskStatus.OPEN).count() == 0
