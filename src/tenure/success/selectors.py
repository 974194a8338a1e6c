"""Reading onboardings and success plans, within the reader's scope (through the account or
customer: a success manager sees their book's, an analyst reads)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tenure.access.scopes import sees_all, visible
from tenure.customers.models import Account, Customer
from tenure.success.models import (
    ChecklistStep,
    ChecklistTemplate,
    Goal,
    Milestone,
    Onboarding,
    SuccessPlan,
)
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User


@dataclass(frozen=True)
class StepView:
    """One step of a running onboarding: its task, and the template's step while the template
    still has it (a step removed since is shown by its task's title)."""

    step: ChecklistStep | None
    task: Task | None
    overdue: bool

    @property
    def title(self) -> str:
        if self.task is not None:
            return self.task.title
        return self.step.title if self.step is not None else ""

    @property
    def first_value(self) -> bool:
        return self.step is not None and self.step.first_value

    @property
    def status(self) -> str:
        return self.task.status if self.task is not None else ""


@dataclass(frozen=True)
class OnboardingView:
    onboarding: Onboarding
    steps: list[StepView]
    done: int
    skipped: int
    progress: float  # settled (done or skipped) steps / steps
    first_value_at: datetime | None
    time_to_first_value: timedelta | None
    completed_at: datetime | None
    overdue: int
    days_since_start: int

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def overdue_steps(self) -> list[StepView]:
        return [step for step in self.steps if step.overdue]


def _step_id(key: str | None) -> int | None:
    parts = (key or "").split(":")
    return int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None


def _view(
    onboarding: Onboarding, steps: dict[int, ChecklistStep], tasks: list[Task], today: date
) -> OnboardingView:
    """An onboarding's steps are the tasks it opened when it started (the template's steps of
    that moment): a step added to the template since is not one of them, a step removed since
    still is. A step is done when its task is done, skipped when it was cancelled, overdue
    when it is open past its due date."""
    shown, finished = [], []
    first_value: datetime | None = None
    done = skipped = 0
    for task in tasks:
        step = steps.get(_step_id(task.source_key) or 0)
        if task.status == TaskStatus.DONE:
            done += 1
            if step is not None and step.first_value:
                first_value = task.completed_at
        skipped += task.status == TaskStatus.CANCELLED
        if task.status != TaskStatus.OPEN:
            finished.append(task.completed_at)
        shown.append(StepView(step, task, task.status == TaskStatus.OPEN and task.due < today))
    order = {pk: (step.position, pk) for pk, step in steps.items()}
    far = (2**63, 0)
    shown.sort(
        key=lambda row: (
            order.get(row.step.pk, far) if row.step else far,
            row.task.due if row.task else today,
            row.task.pk if row.task else 0,
        )
    )
    total = len(shown)
    all_settled = total > 0 and len(finished) == total
    return OnboardingView(
        onboarding=onboarding,
        steps=shown,
        done=done,
        skipped=skipped,
        progress=len(finished) / total if total else 0.0,
        first_value_at=first_value,
        time_to_first_value=first_value - onboarding.started_at if first_value else None,
        completed_at=max(m for m in finished if m) if all_settled and any(finished) else None,
        overdue=sum(1 for s in shown if s.overdue),
        days_since_start=(today - timezone.localtime(onboarding.started_at).date()).days,
    )


def onboarding_views(onboardings: Iterable[Onboarding], today: date) -> list[OnboardingView]:
    """Each onboarding's view, read in two queries whatever their number: their tasks (by the
    accounts and customers they are about) and their templates' steps."""
    found = list(onboardings)
    if not found:
        return []
    accounts = {o.account_id for o in found if o.account_id}
    customers = {o.customer_id for o in found if o.customer_id}
    tasks = Task.objects.filter(
        Q(account_id__in=accounts) | Q(customer_id__in=customers), rule="onboarding"
    ).select_related("owner")
    by_onboarding: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        parts = (task.source_key or "").split(":")
        if len(parts) == 3 and parts[0] == "onboarding" and parts[1].isdigit():
            by_onboarding[int(parts[1])].append(task)
    steps = {
        step.pk: step
        for step in ChecklistStep.objects.filter(template_id__in={o.template_id for o in found})
    }
    return [_view(o, steps, by_onboarding.get(o.pk, []), today) for o in found]


def onboarding_view(onboarding: Onboarding, today: date) -> OnboardingView:
    """Progress, first value and overdue steps of one onboarding, read from its tasks."""
    return onboarding_views([onboarding], today)[0]


def onboardings_visible(user: User | None) -> QuerySet[Onboarding]:
    """The onboardings of the accounts and customers the user may see (``None``: the
    operator, all)."""
    found = Onboarding.objects.select_related("template", "account", "customer")
    if user is None or sees_all(user):
        return found
    return found.filter(
        Q(account__in=visible(user, Account)) | Q(customer__in=visible(user, Customer))
    )


def onboarding_get(*, user: User | None, onboarding_id: int, today: date) -> OnboardingView:
    """One onboarding the user may see (404 otherwise, never revealing it)."""
    found = onboardings_visible(user).filter(pk=onboarding_id).first()
    if found is None:
        raise Http404("no such onboarding")
    return onboarding_view(found, today)


def onboarding_ids_overdue(today: date) -> set[int]:
    """The onboardings with a step task open past due."""
    late = Task.objects.filter(
        rule="onboarding",
        status=TaskStatus.OPEN,
        due__lt=today,
        source_key__startswith="onboarding:",
    ).values_list("source_key", flat=True)
    return {int(key.split(":")[1]) for key in late if key}


def onboarding_ids_open() -> set[int]:
    """The onboardings with a step task still open (in progress)."""
    keys = Task.objects.filter(
        rule="onboarding", status=TaskStatus.OPEN, source_key__startswith="onboarding:"
    ).values_list("source_key", flat=True)
    return {int(key.split(":")[1]) for key in keys if key}


def checklist_templates(
    *, applies_to: str | None = None, active: bool | None = None
) -> list[ChecklistTemplate]:
    """The checklists, by name, each with its steps in order (every role reads them: they
    are the business's settings, no customer's data)."""
    found = ChecklistTemplate.objects.prefetch_related(
        Prefetch("steps", queryset=ChecklistStep.objects.select_related("member"))
    )
    if applies_to is not None:
        found = found.filter(applies_to=applies_to)
    if active is not None:
        found = found.filter(active=active)
    return list(found.order_by("name"))


def checklist_template_get(template_id: int) -> ChecklistTemplate:
    found = ChecklistTemplate.objects.prefetch_related(
        Prefetch("steps", queryset=ChecklistStep.objects.select_related("member"))
    ).filter(pk=template_id)
    template = found.first()
    if template is None:
        raise Http404("no such checklist template")
    return template


def onboarding_counts(template_ids: Iterable[int]) -> dict[int, int]:
    """How many onboardings each template started."""
    rows = (
        Onboarding.objects.filter(template_id__in=list(template_ids))
        .values("template_id")
        .annotate(n=Count("pk"))
    )
    return {row["template_id"]: row["n"] for row in rows}


def account_onboardings(*, user: User, account_id: int, today: date) -> list[OnboardingView]:
    if not visible(user, Account).filter(pk=account_id).exists():
        return []
    found = Onboarding.objects.filter(account_id=account_id).select_related("template")
    return onboarding_views(found, today)


def overdue_onboardings(*, user: User, today: date) -> list[OnboardingView]:
    """The onboardings of the user's book with a step task open past due (their own list:
    those of accounts and customers they own, whoever's role)."""
    own = Q(account__in=visible(user, Account).filter(owner=user)) | Q(
        customer__in=visible(user, Customer).filter(owner=user)
    )
    found = Onboarding.objects.filter(own, pk__in=onboarding_ids_overdue(today)).select_related(
        "template", "account", "customer"
    )
    return onboarding_views(found, today)


def account_plan(*, user: User, account_id: int) -> SuccessPlan | None:
    if not visible(user, Account).filter(pk=account_id).exists():
        return None
    return (
        SuccessPlan.objects.filter(account_id=account_id)
        .prefetch_related("goals__milestones", "goals__owner")
        .first()
    )


def _plans_visible(user: User | None) -> QuerySet[SuccessPlan]:
    plans = SuccessPlan.objects.all()
    return plans if user is None else plans.filter(account__in=visible(user, Account))


def plan_get(*, user: User | None, account_id: int) -> SuccessPlan:
    """The account's plan with its goals and milestones; 404 for an account the user may not
    see, or one without a plan."""
    found = (
        _plans_visible(user)
        .filter(account_id=account_id)
        .select_related("account")
        .prefetch_related("goals__milestones", "goals__owner")
        .first()
    )
    if found is None:
        raise Http404("no success plan for this account")
    return found


def goal_get(*, user: User | None, goal_id: int) -> Goal:
    found = (
        Goal.objects.filter(plan__in=_plans_visible(user), pk=goal_id)
        .select_related("plan", "owner")
        .prefetch_related("milestones")
        .first()
    )
    if found is None:
        raise Http404("no such goal")
    return found


def milestone_get(*, user: User | None, milestone_id: int) -> Milestone:
    found = Milestone.objects.filter(goal__plan__in=_plans_visible(user), pk=milestone_id).first()
    if found is None:
        raise Http404("no such milestone")
    return found
