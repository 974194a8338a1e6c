"""Success plans: validation per field, status moves, history, events, roles, and the review
reminder opened once per review date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from tenure.access.scopes import AccessDenied
from tenure.events.models import Event
from tenure.success.models import Goal, GoalStatus, PlanStatus
from tenure.success.services import (
    goal_create,
    goal_update,
    milestone_create,
    milestone_update,
    plan_reviewed,
    plan_save,
)
from tenure.todos.models import Task
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 10, tzinfo=UTC)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def test_a_plan_validates_its_fields_and_moves_only_where_allowed():
    account = make_account(owner=make_user(role="success_manager"))
    assert _errors(lambda: plan_save(by=None, account_id=account.pk, changes={}, now=NOW)) == {
        "title": ["give it a title"]
    }
    plan = plan_save(by=None, account_id=account.pk, changes={"title": " Grow "}, now=NOW)
    assert (plan.title, plan.status) == ("Grow", PlanStatus.DRAFT)
    late = {"next_review": date(2025, 6, 1)}
    assert "next_review" in _errors(
        lambda: plan_save(by=None, account_id=account.pk, changes=late, now=NOW)
    )
    achieved = {"status": PlanStatus.ACHIEVED}
    assert _errors(
        lambda: plan_save(by=None, account_id=account.pk, changes=achieved, now=NOW)
    ) == {"status": ["a draft plan cannot become achieved"]}
    assert "colour" in _errors(
        lambda: plan_save(by=None, account_id=account.pk, changes={"colour": "red"}, now=NOW)
    )
    plan_save(by=None, account_id=account.pk, changes={"status": PlanStatus.ACTIVE}, now=NOW)
    moved = Event.objects.get(kind="success.plan_status_changed")
    assert (moved.subject_id, moved.data) == (plan.pk, {"before": "draft", "after": "active"})
    history = LogEntry.objects.get_for_object(plan).order_by("timestamp", "id")
    assert [entry.action for entry in history] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert history.last().changes_dict["status"] == ["draft", "active"]


def test_the_review_reminder_is_opened_once_per_review_date_for_the_account_owner():
    owner = make_user(role="success_manager")
    account = make_account(owner=owner, name="Acme")
    review = {"title": "Grow", "next_review": date(2025, 7, 1)}
    plan = plan_save(by=None, account_id=account.pk, changes=review, now=NOW)
    plan_save(by=None, account_id=account.pk, changes={"title": "Grow more"}, now=NOW)
    reminders = Task.objects.filter(rule="success_review")
    assert [(t.owner_id, t.due, t.account_id) for t in reminders] == [
        (owner.pk, date(2025, 6, 24), account.pk)
    ]
    plan_reviewed(by=None, account_id=account.pk, next_review=date(2025, 9, 1), now=NOW)
    plan_reviewed(by=None, account_id=account.pk, next_review=date(2025, 9, 1), now=NOW)
    assert sorted(t.due for t in Task.objects.filter(rule="success_review")) == [
        date(2025, 6, 24),
        date(2025, 8, 25),
    ]
    assert Event.objects.filter(kind="success.plan_reviewed", subject_id=plan.pk).count() == 2
    plan.refresh_from_db()
    assert plan.last_reviewed_at == NOW


def test_goals_and_milestones_validate_and_an_achieved_goal_is_announced_once():
    owner = make_user(role="success_manager")
    account = make_account(owner=owner)
    gone = make_user(is_active=False)
    bad = {"title": "", "target_date": date(2025, 9, 1), "owner_id": owner.pk}
    assert "title" in _errors(
        lambda: goal_create(by=None, account_id=account.pk, data=bad, now=NOW)
    )
    inactive = {**bad, "title": "Adopt", "owner_id": gone.pk}
    assert _errors(lambda: goal_create(by=None, account_id=account.pk, data=inactive, now=NOW)) == {
        "owner_id": ["an active team member"]
    }
    past = {**inactive, "owner_id": owner.pk, "target_date": date(2025, 5, 1)}
    assert "target_date" in _errors(
        lambda: goal_create(by=None, account_id=account.pk, data=past, now=NOW)
    )
    goal = goal_create(
        by=None, account_id=account.pk, data={**past, "target_date": date(2025, 9, 1)}, now=NOW
    )
    assert goal.plan.title.endswith(": success plan")  # a draft plan was made for it
    after = {"title": "Kickoff", "due": date(2025, 10, 1)}
    assert _errors(lambda: milestone_create(by=None, goal_id=goal.pk, data=after, now=NOW)) == {
        "due": ["on or before the goal's target date"]
    }
    milestone = milestone_create(
        by=None, goal_id=goal.pk, data={"title": "Kickoff", "due": date(2025, 7, 1)}, now=NOW
    )
    milestone = milestone_update(
        by=None, milestone_id=milestone.pk, changes={"done": True}, now=NOW
    )
    assert milestone.done_at == NOW
    goal_update(by=None, goal_id=goal.pk, changes={"status": GoalStatus.ACHIEVED}, now=NOW)
    goal_update(by=None, goal_id=goal.pk, changes={"status": GoalStatus.ACHIEVED}, now=NOW)
    goal.refresh_from_db()
    assert (goal.status, goal.achieved_at) == (GoalStatus.ACHIEVED, NOW)
    assert Event.objects.filter(kind="success.goal_achieved", subject_id=goal.pk).count() == 1
    goal_update(by=None, goal_id=goal.pk, changes={"status": GoalStatus.OPEN}, now=NOW)
    goal.refresh_from_db()
    assert goal.achieved_at is None


def test_roles_a_success_manager_changes_only_their_book_and_an_analyst_nothing():
    mine = make_user(role="success_manager")
    theirs = make_user(role="success_manager")
    account = make_account(owner=mine)
    data = {"title": "Adopt", "target_date": date(2025, 9, 1), "owner_id": mine.pk}
    goal = goal_create(by=mine, account_id=account.pk, data=data, now=NOW)
    with pytest.raises(Http404):
        goal_create(by=theirs, account_id=account.pk, data=data, now=NOW)
    with pytest.raises(Http404):
        goal_update(by=theirs, goal_id=goal.pk, changes={"title": "x"}, now=NOW)
    with pytest.raises(AccessDenied):
        plan_save(
            by=make_user(role="analyst"), account_id=account.pk, changes={"title": "x"}, now=NOW
        )
    assert Goal.objects.get().title == "Adopt"
