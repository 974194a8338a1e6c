"""Writes of success plans, goals and milestones: each through the account ``by`` may change
(a success manager their book's; an analyst nothing), validated per field, with its history
(auditlog) and events; a plan's review brings a reminder task for the account's owner
``reminder_days`` before it, once per review date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access.records import record_for_change, record_save, reject_unknown_fields
from tenure.customers.models import Account
from tenure.success.events import GOAL_ACHIEVED, PLAN_REVIEWED, PLAN_STATUS_CHANGED, success_event
from tenure.success.models import Goal, GoalStatus, Milestone, PlanStatus, SuccessPlan
from tenure.todos.models import Task, TaskSource
from tenure.todos.services import task_create
from tenure.users.models import User

PLAN_FIELDS = frozenset({"title", "status", "next_review", "reminder_days"})
GOAL_FIELDS = frozenset({"title", "target_date", "owner_id", "status"})
MILESTONE_FIELDS = frozenset({"title", "due", "done"})

# Where a plan may go from each status: an achieved or abandoned plan is reopened as active.
PLAN_MOVES: dict[str, set[str]] = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE, PlanStatus.ABANDONED},
    PlanStatus.ACTIVE: {PlanStatus.ACHIEVED, PlanStatus.ABANDONED},
    PlanStatus.ACHIEVED: {PlanStatus.ACTIVE},
    PlanStatus.ABANDONED: {PlanStatus.ACTIVE},
}


def _account(by: User | None, account_id: int) -> Account:
    return record_for_change(by, Account, account_id)


def _title(value: Any) -> str:
    title = str(value or "").strip()
    if not title:
        raise ValidationError({"title": ["give it a title"]})
    return title


def _date(name: str, value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError({name: ["a date (YYYY-MM-DD)"]})
    return value


def _owner(value: Any) -> int:
    owner_id = value.pk if isinstance(value, User) else value
    if not owner_id or not User.objects.filter(pk=owner_id, is_active=True).exists():
        raise ValidationError({"owner_id": ["an active team member"]})
    return int(owner_id)


def _review_reminder(plan: SuccessPlan, account: Account) -> Task | None:
    """The reminder before the plan's next review, once per review date (its source key)."""
    if plan.next_review is None or account.owner_id is None:
        return None
    key = f"success-review:{plan.pk}:{plan.next_review.isoformat()}"
    found = Task.objects.filter(source_key=key).first()
    if found is not None:
        return found
    return task_create(
        by=None, title=f"Prepare the success plan review with {account.name}",
        owner=account.owner_id, due=plan.next_review - timedelta(days=plan.reminder_days),
        account_id=account.pk, source=TaskSource.RULE, rule="success_review", source_key=key,
    )  # fmt: skip


@transaction.atomic
def plan_save(
    *, by: User | None, account_id: int, changes: Mapping[str, Any], now: datetime
) -> SuccessPlan:
    """Create or change the account's success plan (one per account)."""
    reject_unknown_fields(changes, PLAN_FIELDS)
    account = _account(by, account_id)
    plan = SuccessPlan.objects.filter(account=account).first() or SuccessPlan(account=account)
    before = plan.status if plan.pk else None
    if "title" in changes or plan.pk is None:
        plan.title = _title(changes.get("title", plan.title))
    if "status" in changes:
        status = changes["status"]
        if status not in PlanStatus.values:
            raise ValidationError({"status": ["one of " + ", ".join(PlanStatus.values)]})
        if before is not None and status != before and status not in PLAN_MOVES[before]:
            raise ValidationError({"status": [f"a {before} plan cannot become {status}"]})
        plan.status = status
    if "next_review" in changes:
        review = changes["next_review"]
        if review is not None:
            review = _date("next_review", review)
            if review < now.date():
                raise ValidationError({"next_review": ["the next review is today or later"]})
        plan.next_review = review
    if "reminder_days" in changes:
        days = changes["reminder_days"]
        if not isinstance(days, int) or not 0 <= days <= 90:
            raise ValidationError({"reminder_days": ["a whole number of days, 0 to 90"]})
        plan.reminder_days = days
    record_save(plan)
    if before is not None and plan.status != before:
        success_event(
            PLAN_STATUS_CHANGED, subject="success_plan", subject_id=plan.pk,
            before=before, after=plan.status,
        )  # fmt: skip
    _review_reminder(plan, account)
    return plan


@transaction.atomic
def plan_reviewed(
    *, by: User | None, account_id: int, next_review: date | None, now: datetime
) -> SuccessPlan:
    """The review took place now; the next one is set (and its reminder opened)."""
    account = _account(by, account_id)
    plan = SuccessPlan.objects.filter(account=account).first()
    if plan is None:
        raise ValidationError({"account_id": ["this account has no success plan"]})
    plan.last_reviewed_at = now
    record_save(plan)
    plan = plan_save(by=by, account_id=account_id, changes={"next_review": next_review}, now=now)
    success_event(PLAN_REVIEWED, subject="success_plan", subject_id=plan.pk)
    return plan


def _goal_for_change(by: User | None, goal_id: int) -> Goal:
    goal = Goal.objects.select_related("plan").filter(pk=goal_id).first()
    if goal is None:
        raise ValidationError({"goal_id": [f"no goal {goal_id}"]})
    _account(by, goal.plan.account_id)  # 403/404 outside ``by``'s book
    return goal


def _goal_apply(goal: Goal, changes: Mapping[str, Any], now: datetime) -> bool:
    """Apply the changes; whether the goal was just achieved."""
    if "title" in changes:
        goal.title = _title(changes["title"])
    if "target_date" in changes:
        goal.target_date = _date("target_date", changes["target_date"])
    if "owner_id" in changes:
        goal.owner_id = _owner(changes["owner_id"])
    achieved = False
    if "status" in changes:
        status = changes["status"]
        if status not in GoalStatus.values:
            raise ValidationError({"status": ["one of " + ", ".join(GoalStatus.values)]})
        achieved = status == GoalStatus.ACHIEVED and goal.status != GoalStatus.ACHIEVED
        goal.status = status
        goal.achieved_at = (goal.achieved_at or now) if status == GoalStatus.ACHIEVED else None
    return achieved


@transaction.atomic
def goal_create(
    *, by: User | None, account_id: int, data: Mapping[str, Any], now: datetime
) -> Goal:
    """A goal in the account's success plan (a draft plan is made if there is none)."""
    reject_unknown_fields(data, GOAL_FIELDS)
    for name in ("title", "target_date", "owner_id"):
        if data.get(name) in (None, ""):
            raise ValidationError({name: ["required"]})
    account = _account(by, account_id)
    plan = SuccessPlan.objects.filter(account=account).first()
    if plan is None:
        plan = SuccessPlan(account=account, title=f"{account.name}: success plan")
        record_save(plan)
    goal = Goal(plan=plan)
    achieved = _goal_apply(goal, data, now)
    if goal.target_date < now.date() and goal.status == GoalStatus.OPEN:
        raise ValidationError({"target_date": ["a new goal's target date is today or later"]})
    record_save(goal)
    if achieved:
        success_event(GOAL_ACHIEVED, subject="goal", subject_id=goal.pk, plan_id=plan.pk)
    return goal


@transaction.atomic
def goal_update(
    *, by: User | None, goal_id: int, changes: Mapping[str, Any], now: datetime
) -> Goal:
    reject_unknown_fields(changes, GOAL_FIELDS)
    goal = _goal_for_change(by, goal_id)
    achieved = _goal_apply(goal, changes, now)
    record_save(goal)
    if achieved:
        success_event(GOAL_ACHIEVED, subject="goal", subject_id=goal.pk, plan_id=goal.plan_id)
    return goal


@transaction.atomic
def milestone_create(
    *, by: User | None, goal_id: int, data: Mapping[str, Any], now: datetime
) -> Milestone:
    reject_unknown_fields(data, MILESTONE_FIELDS)
    goal = _goal_for_change(by, goal_id)
    if data.get("due") in (None, ""):
        raise ValidationError({"due": ["required"]})
    milestone = Milestone(goal=goal, title=_title(data.get("title")), due=_date("due", data["due"]))
    if milestone.due > goal.target_date:
        raise ValidationError({"due": ["on or before the goal's target date"]})
    milestone.done_at = now if data.get("done") else None
    record_save(milestone)
    return milestone


@transaction.atomic
def milestone_update(
    *, by: User | None, milestone_id: int, changes: Mapping[str, Any], now: datetime
) -> Milestone:
    reject_unknown_fields(changes, MILESTONE_FIELDS)
    milestone = Milestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise ValidationError({"milestone_id": [f"no milestone {milestone_id}"]})
    _goal_for_change(by, milestone.goal_id)
    if "title" in changes:
        milestone.title = _title(changes["title"])
    if "due" in changes:
        milestone.due = _date("due", changes["due"])
    if "done" in changes:
        milestone.done_at = (milestone.done_at or now) if changes["done"] else None
    record_save(milestone)
    return milestone


@transaction.atomic
def goal_delete(*, by: User | None, goal_id: int) -> None:
    """Delete a goal and its milestones (their history keeps them)."""
    goal = _goal_for_change(by, goal_id)
    goal.delete()


@transaction.atomic
def milestone_delete(*, by: User | None, milestone_id: int) -> None:
    milestone = Milestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise ValidationError({"milestone_id": [f"no milestone {milestone_id}"]})
    _goal_for_change(by, milestone.goal_id)
    milestone.delete()
