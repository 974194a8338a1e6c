"""Reading onboardings and success plans, within the reader's scope (through the account or
customer: a success manager sees their book's, an analyst reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q

from tenure.access.scopes import visible
from tenure.customers.models import Account, Customer
from tenure.success.models import ChecklistStep, Onboarding, SuccessPlan
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User


@dataclass(frozen=True)
class StepView:
    step: ChecklistStep
    task: Task | None
    overdue: bool


@dataclass(frozen=True)
class OnboardingView:
    onboarding: Onboarding
    steps: list[StepView]
    done: int
    progress: float  # done tasks / steps
    first_value_at: datetime | None
    time_to_first_value: timedelta | None
    completed_at: datetime | None
    overdue: int

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


def onboarding_view(onboarding: Onboarding, today: date) -> OnboardingView:
    """Progress, first value and overdue steps of one onboarding, read from its tasks: a step
    is done when its task is done; overdue when its task is open past its due date."""
    steps = list(onboarding.template.steps.select_related("member"))
    tasks = {
        task.source_key: task
        for task in Task.objects.filter(
            source_key__startswith=f"onboarding:{onboarding.pk}:"
        ).select_related("owner")
    }
    shown, finished = [], []
    first_value: datetime | None = None
    for step in steps:
        task = tasks.get(f"onboarding:{onboarding.pk}:{step.pk}")
        done = task is not None and task.status == TaskStatus.DONE
        if done and task is not None:
            finished.append(task.completed_at)
            if step.first_value:
                first_value = task.completed_at
        late = task is not None and task.status == TaskStatus.OPEN and task.due < today
        shown.append(StepView(step, task, late))
    total = len(steps)
    all_done = total > 0 and len(finished) == total
    return OnboardingView(
        onboarding=onboarding,
        steps=shown,
        done=len(finished),
        progress=len(finished) / total if total else 0.0,
        first_value_at=first_value,
        time_to_first_value=first_value - onboarding.started_at if first_value else None,
        completed_at=max(m for m in finished if m) if all_done and any(finished) else None,
        overdue=sum(1 for s in shown if s.overdue),
    )


def account_onboardings(*, user: User, account_id: int, today: date) -> list[OnboardingView]:
    if not visible(user, Account).filter(pk=account_id).exists():
        return []
    found = Onboarding.objects.filter(account_id=account_id).select_related("template")
    return [onboarding_view(onboarding, today) for onboarding in found]


def overdue_onboardings(*, user: User, today: date) -> list[OnboardingView]:
    """The onboardings of the user's book with a step task open past due (their own list:
    those of accounts and customers they own, whoever's role)."""
    late = Task.objects.filter(
        rule="onboarding", status=TaskStatus.OPEN, due__lt=today, source_key__isnull=False
    ).values_list("source_key", flat=True)
    ids = {int(key.split(":")[1]) for key in late if key}
    own = Q(account__in=visible(user, Account).filter(owner=user)) | Q(
        customer__in=visible(user, Customer).filter(owner=user)
    )
    found = Onboarding.objects.filter(own, pk__in=ids).select_related(
        "template", "account", "customer"
    )
    return [onboarding_view(onboarding, today) for onboarding in found]


def account_plan(*, user: User, account_id: int) -> SuccessPlan | None:
    if not visible(user, Account).filter(pk=account_id).exists():
        return None
    return (
        SuccessPlan.objects.filter(account_id=account_id)
        .prefetch_related("goals__milestones", "goals__owner")
        .first()
    )
