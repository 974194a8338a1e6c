"""Onboarding and success plans: /api/v1/checklist-templates, /onboardings and each account's
/success-plan with its goals and milestones.

Everything goes through ``tenure.success``'s services and selectors, under the roles of the
rest of the API: checklists are the business's settings (every role reads them; admins and
managers change them, 403 otherwise); onboardings and plans are their account's (a success
manager their book's, 404 for another's; an analyst reads and changes nothing). A start
asked for twice (a retry, or the same ``Idempotency-Key``) gives one onboarding and one set
of tasks: 201 the first time, 200 after.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.success import checklists, selectors, services
from tenure.success.filters import OnboardingFilterSet
from tenure.success.models import (
    AppliesTo,
    ChecklistStep,
    ChecklistTemplate,
    Goal,
    GoalStatus,
    Milestone,
    PlanStatus,
    StepOwner,
    SuccessPlan,
)
from tenure.success.onboarding import onboarding_start
from tenure.success.selectors import OnboardingView

router = Router(tags=["success"])

# --- checklist templates -----------------------------------------------------------------------


class ChecklistStepIn(Input):
    title: str = Field(min_length=1, max_length=200)
    days_after_start: int = Field(0, ge=0, le=checklists.DAYS_MAX, description="its task's due")
    owner_kind: StepOwner = Field(
        StepOwner.RECORD_OWNER, description="owner: the record's owner; member; role"
    )
    member_id: RecordId | None = Field(None, description="the member, for owner_kind member")
    role: str = Field("", max_length=30, description="the role, for owner_kind role")
    first_value: bool = Field(False, description="done = the customer reached first value")
    position: int | None = Field(None, ge=1, description="its place, 1 = first; default: last")


class ChecklistStepPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    days_after_start: int | None = Field(None, ge=0, le=checklists.DAYS_MAX)
    owner_kind: StepOwner | None = None
    member_id: RecordId | None = None
    role: str | None = Field(None, max_length=30)
    first_value: bool | None = None
    position: int | None = Field(None, ge=1, description="move it: 1 = first")


class ChecklistTemplateIn(Input):
    name: str = Field(min_length=1, max_length=120)
    applies_to: AppliesTo = AppliesTo.ACCOUNT
    active: bool = True
    steps: list[ChecklistStepIn] = Field(default_factory=list, max_length=100)


class ChecklistTemplatePatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    applies_to: AppliesTo | None = None
    active: bool | None = None


class ChecklistStepOut(Schema):
    id: int
    position: int = Field(description="1 = first")
    title: str
    days_after_start: int
    owner_kind: str
    member_id: int | None
    role: str
    first_value: bool


class ChecklistTemplateOut(Schema):
    id: int
    name: str
    applies_to: str
    active: bool
    builtin: str
    steps: list[ChecklistStepOut]


def _step_out(step: ChecklistStep, position: int) -> dict[str, Any]:
    return {
        "id": step.pk, "position": position, "title": step.title,
        "days_after_start": step.days_after_start, "owner_kind": step.owner_kind,
        "member_id": step.member_id, "role": step.role, "first_value": step.first_value,
    }  # fmt: skip


def _template_out(template: ChecklistTemplate) -> dict[str, Any]:
    steps = sorted(template.steps.all(), key=lambda s: (s.position, s.pk))
    return {
        "id": template.pk, "name": template.name, "applies_to": template.applies_to,
        "active": template.active, "builtin": template.builtin,
        "steps": [_step_out(step, n) for n, step in enumerate(steps, start=1)],
    }  # fmt: skip


def _set(payload: Schema) -> dict[str, Any]:
    return {name: getattr(payload, name) for name in payload.model_fields_set}


@router.get(
    "/checklist-templates",
    response={200: list[ChecklistTemplateOut], **ERROR_RESPONSES},
    summary="List the onboarding checklists with their steps",
    operation_id="list_checklist_templates",
)
def list_checklist_templates(
    request: HttpRequest, applies_to: AppliesTo | None = None, active: bool | None = None
) -> list[dict[str, Any]]:
    found = selectors.checklist_templates(applies_to=applies_to, active=active)
    return [_template_out(template) for template in found]


@router.post(
    "/checklist-templates",
    response={201: ChecklistTemplateOut, **ERROR_RESPONSES},
    summary="Create a checklist with its steps (admins and managers)",
    operation_id="create_checklist_template",
)
def create_checklist_template(request: HttpRequest, payload: ChecklistTemplateIn) -> Status:
    data = {"name": payload.name, "applies_to": payload.applies_to, "active": payload.active}
    steps = [_set(step) for step in payload.steps]
    made = checklists.checklist_template_create(by=caller(request), data=data, steps=steps)
    return Status(201, _template_out(selectors.checklist_template_get(made.pk)))


@router.get(
    "/checklist-templates/{template_id}",
    response={200: ChecklistTemplateOut, **ERROR_RESPONSES},
    summary="One checklist with its steps",
    operation_id="get_checklist_template",
)
def get_checklist_template(request: HttpRequest, template_id: RecordId) -> dict[str, Any]:
    return _template_out(selectors.checklist_template_get(template_id))


@router.patch(
    "/checklist-templates/{template_id}",
    response={200: ChecklistTemplateOut, **ERROR_RESPONSES},
    summary="Rename a checklist, change what it applies to, or (de)activate it",
    operation_id="update_checklist_template",
)
def update_checklist_template(
    request: HttpRequest, template_id: RecordId, payload: ChecklistTemplatePatch
) -> dict[str, Any]:
    selectors.checklist_template_get(template_id)  # 404 first
    checklists.checklist_template_update(
        by=caller(request), template_id=template_id, changes=_given(payload)
    )
    return _template_out(selectors.checklist_template_get(template_id))


@router.delete(
    "/checklist-templates/{template_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a checklist no onboarding used (409 otherwise: deactivate it)",
    operation_id="delete_checklist_template",
)
def delete_checklist_template(request: HttpRequest, template_id: RecordId) -> Status:
    selectors.checklist_template_get(template_id)
    checklists.checklist_template_delete(by=caller(request), template_id=template_id)
    return Status(204, None)


def _step_in(template_id: int, step_id: int) -> None:
    if not ChecklistStep.objects.filter(pk=step_id, template_id=template_id).exists():
        raise Http404("no such step")


@router.post(
    "/checklist-templates/{template_id}/steps",
    response={201: ChecklistTemplateOut, **ERROR_RESPONSES},
    summary="Add a step (new onboardings get it; running ones keep their tasks)",
    operation_id="create_checklist_step",
)
def create_checklist_step(
    request: HttpRequest, template_id: RecordId, payload: ChecklistStepIn
) -> Status:
    selectors.checklist_template_get(template_id)
    checklists.checklist_step_add(by=caller(request), template_id=template_id, data=_set(payload))
    return Status(201, _template_out(selectors.checklist_template_get(template_id)))


@router.patch(
    "/checklist-templates/{template_id}/steps/{step_id}",
    response={200: ChecklistTemplateOut, **ERROR_RESPONSES},
    summary="Change or move a step (new onboardings only)",
    operation_id="update_checklist_step",
)
def update_checklist_step(
    request: HttpRequest, template_id: RecordId, step_id: RecordId, payload: ChecklistStepPatch
) -> dict[str, Any]:
    _step_in(template_id, step_id)
    checklists.checklist_step_update(
        by=caller(request), step_id=step_id, template_id=template_id, changes=_set(payload)
    )
    return _template_out(selectors.checklist_template_get(template_id))


@router.delete(
    "/checklist-templates/{template_id}/steps/{step_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a step (running onboardings keep its task)",
    operation_id="delete_checklist_step",
)
def delete_checklist_step(request: HttpRequest, template_id: RecordId, step_id: RecordId) -> Status:
    _step_in(template_id, step_id)
    checklists.checklist_step_remove(by=caller(request), step_id=step_id, template_id=template_id)
    return Status(204, None)


# --- onboardings -------------------------------------------------------------------------------


class OnboardingStepOut(Schema):
    step_id: int | None = Field(description="none once the step left the checklist")
    task_id: int | None
    title: str
    owner_id: int | None
    due: date | None
    status: str = Field(description="open, done or cancelled (skipped)")
    overdue: bool
    first_value: bool


class OnboardingOut(Schema):
    id: int
    template_id: int
    template_name: str
    account_id: int | None
    customer_id: int | None
    started_at: datetime
    days_since_start: int
    steps_total: int
    steps_done: int
    steps_skipped: int
    progress: float = Field(description="steps done or skipped / steps, 0 to 1")
    overdue_steps: int
    first_value_at: datetime | None
    days_to_first_value: float | None = Field(description="from the start, when reached")
    completed_at: datetime | None
    steps: list[OnboardingStepOut]


def _onboarding_out(view: OnboardingView) -> dict[str, Any]:
    o = view.onboarding
    ttfv = view.time_to_first_value
    return {
        "id": o.pk, "template_id": o.template_id, "template_name": o.template.name,
        "account_id": o.account_id, "customer_id": o.customer_id, "started_at": o.started_at,
        "days_since_start": view.days_since_start, "steps_total": view.total,
        "steps_done": view.done, "steps_skipped": view.skipped, "progress": view.progress,
        "overdue_steps": view.overdue, "first_value_at": view.first_value_at,
        "days_to_first_value": round(ttfv.total_seconds() / 86400, 2) if ttfv else None,
        "completed_at": view.completed_at,
        "steps": [
            {"step_id": row.step.pk if row.step else None,
             "task_id": row.task.pk if row.task else None, "title": row.title,
             "owner_id": row.task.owner_id if row.task else None,
             "due": row.task.due if row.task else None, "status": row.status,
             "overdue": row.overdue, "first_value": row.first_value}
            for row in view.steps
        ],
    }  # fmt: skip


class OnboardingFilters(QueryInput):
    owner_id: RecordId | None = Field(None, description="the account's or customer's owner")
    overdue: bool | None = Field(None, description="with a step open past due (or none)")
    template_id: RecordId | None = None
    account_id: RecordId | None = None
    customer_id: RecordId | None = None
    status: Literal["in_progress", "completed"] | None = Field(
        None, description="a step still open, or every step done or skipped"
    )


class OnboardingStartIn(Input):
    template_id: RecordId
    account_id: RecordId | None = Field(None, description="for a checklist of accounts")
    customer_id: RecordId | None = Field(None, description="for a checklist of customers")


@router.get(
    "/onboardings",
    response={200: Page[OnboardingOut], **ERROR_RESPONSES},
    summary="List onboardings with their progress",
    operation_id="list_onboardings",
)
def list_onboardings(
    request: HttpRequest,
    filters: Query[OnboardingFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = OnboardingFilterSet.of(request.user, filter_values(filters))
    page = paginate(chosen.filtered(), cursor=cursor, limit=limit)
    views = selectors.onboarding_views(page["items"], timezone.localdate())
    return {"items": [_onboarding_out(view) for view in views], "next_cursor": page["next_cursor"]}


@router.post(
    "/onboardings",
    response={200: OnboardingOut, 201: OnboardingOut, **ERROR_RESPONSES},
    summary="Start a checklist for an account or customer (once: 200 when it had started)",
    operation_id="create_onboarding",
)
def create_onboarding(request: HttpRequest, payload: OnboardingStartIn) -> Status:
    onboarding, new = onboarding_start(
        by=caller(request), template_id=payload.template_id, account_id=payload.account_id,
        customer_id=payload.customer_id, now=timezone.now(),
    )  # fmt: skip
    view = selectors.onboarding_view(onboarding, timezone.localdate())
    return Status(201 if new else 200, _onboarding_out(view))


@router.get(
    "/onboardings/{onboarding_id}",
    response={200: OnboardingOut, **ERROR_RESPONSES},
    summary="One onboarding: its steps, progress, overdue steps, time to first value",
    operation_id="get_onboarding",
)
def get_onboarding(request: HttpRequest, onboarding_id: RecordId) -> dict[str, Any]:
    view = selectors.onboarding_get(
        user=caller(request), onboarding_id=onboarding_id, today=timezone.localdate()
    )
    return _onboarding_out(view)


# --- success plans -----------------------------------------------------------------------------


class MilestoneOut(Schema):
    id: int
    goal_id: int
    title: str
    due: date
    done_at: datetime | None


class GoalOut(Schema):
    id: int
    plan_id: int
    title: str
    target_date: date
    owner_id: int
    status: str
    achieved_at: datetime | None
    milestones: list[MilestoneOut]


class SuccessPlanOut(Schema):
    id: int
    account_id: int
    title: str
    status: str
    next_review: date | None
    reminder_days: int
    last_reviewed_at: datetime | None
    created_at: datetime
    goals: list[GoalOut]


class PlanIn(Input):
    title: str = Field(min_length=1, max_length=200)
    status: PlanStatus | None = Field(None, description="draft, active, achieved, abandoned")
    next_review: date | None = Field(None, description="today or later; a reminder task before")
    reminder_days: int | None = Field(None, ge=0, le=90, description="the reminder's lead")


class ReviewIn(Input):
    next_review: date | None = Field(None, description="the next review, today or later")


class GoalIn(Input):
    title: str = Field(min_length=1, max_length=200)
    target_date: date
    owner_id: RecordId
    status: GoalStatus | None = None


class GoalPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    target_date: date | None = None
    owner_id: RecordId | None = None
    status: GoalStatus | None = None


class MilestoneIn(Input):
    title: str = Field(min_length=1, max_length=200)
    due: date = Field(description="on or before the goal's target date")
    done: bool = False


class MilestonePatch(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    due: date | None = None
    done: bool | None = None


def _given(payload: Schema) -> dict[str, Any]:
    """The fields sent, nulls left out (a null is "unchanged": none of these clears)."""
    return {name: value for name, value in _set(payload).items() if value is not None}


def _plan(request: HttpRequest, account_id: int) -> SuccessPlan:
    return selectors.plan_get(user=caller(request), account_id=account_id)


@router.get(
    "/accounts/{account_id}/success-plan",
    response={200: SuccessPlanOut, **ERROR_RESPONSES},
    summary="The account's success plan: goals, milestones, next review",
    operation_id="get_success_plan",
)
def get_success_plan(request: HttpRequest, account_id: RecordId) -> SuccessPlan:
    return _plan(request, account_id)


@router.put(
    "/accounts/{account_id}/success-plan",
    response={200: SuccessPlanOut, **ERROR_RESPONSES},
    summary="Create or change the account's success plan",
    operation_id="put_success_plan",
)
def put_success_plan(request: HttpRequest, account_id: RecordId, payload: PlanIn) -> SuccessPlan:
    changes = {"title": payload.title, **_given(payload)}
    if "next_review" in payload.model_fields_set:
        changes["next_review"] = payload.next_review  # null clears the review
    services.plan_save(
        by=caller(request), account_id=account_id, changes=changes, now=timezone.now()
    )
    return _plan(request, account_id)


@router.post(
    "/accounts/{account_id}/success-plan/review",
    response={200: SuccessPlanOut, **ERROR_RESPONSES},
    summary="Mark the plan reviewed today and set the next review",
    operation_id="review_success_plan",
)
def review_success_plan(
    request: HttpRequest, account_id: RecordId, payload: ReviewIn
) -> SuccessPlan:
    services.plan_reviewed(
        by=caller(request), account_id=account_id, next_review=payload.next_review,
        now=timezone.now(),
    )  # fmt: skip
    return _plan(request, account_id)


@router.get(
    "/accounts/{account_id}/success-plan/goals",
    response={200: list[GoalOut], **ERROR_RESPONSES},
    summary="The goals of the account's success plan",
    operation_id="list_success_goals",
)
def list_success_goals(request: HttpRequest, account_id: RecordId) -> list[Goal]:
    return list(_plan(request, account_id).goals.all())


@router.post(
    "/accounts/{account_id}/success-plan/goals",
    response={201: GoalOut, **ERROR_RESPONSES},
    summary="Add a goal (a draft plan is made if the account has none)",
    operation_id="create_success_goal",
)
def create_success_goal(request: HttpRequest, account_id: RecordId, payload: GoalIn) -> Status:
    goal = services.goal_create(
        by=caller(request), account_id=account_id, data=_given(payload), now=timezone.now()
    )
    return Status(201, selectors.goal_get(user=caller(request), goal_id=goal.pk))


@router.get(
    "/success-goals/{goal_id}",
    response={200: GoalOut, **ERROR_RESPONSES},
    summary="One goal with its milestones",
    operation_id="get_success_goal",
)
def get_success_goal(request: HttpRequest, goal_id: RecordId) -> Goal:
    return selectors.goal_get(user=caller(request), goal_id=goal_id)


@router.patch(
    "/success-goals/{goal_id}",
    response={200: GoalOut, **ERROR_RESPONSES},
    summary="Change a goal (achieved: its event)",
    operation_id="update_success_goal",
)
def update_success_goal(request: HttpRequest, goal_id: RecordId, payload: GoalPatch) -> Goal:
    user = caller(request)
    selectors.goal_get(user=user, goal_id=goal_id)  # 404 outside the caller's book
    services.goal_update(by=user, goal_id=goal_id, changes=_given(payload), now=timezone.now())
    return selectors.goal_get(user=user, goal_id=goal_id)


@router.delete(
    "/success-goals/{goal_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a goal and its milestones",
    operation_id="delete_success_goal",
)
def delete_success_goal(request: HttpRequest, goal_id: RecordId) -> Status:
    user = caller(request)
    selectors.goal_get(user=user, goal_id=goal_id)
    services.goal_delete(by=user, goal_id=goal_id)
    return Status(204, None)


@router.post(
    "/success-goals/{goal_id}/milestones",
    response={201: MilestoneOut, **ERROR_RESPONSES},
    summary="Add a milestone to a goal",
    operation_id="create_success_milestone",
)
def create_success_milestone(
    request: HttpRequest, goal_id: RecordId, payload: MilestoneIn
) -> Status:
    user = caller(request)
    selectors.goal_get(user=user, goal_id=goal_id)
    made = services.milestone_create(
        by=user, goal_id=goal_id, data=_set(payload), now=timezone.now()
    )
    return Status(201, made)


@router.get(
    "/success-milestones/{milestone_id}",
    response={200: MilestoneOut, **ERROR_RESPONSES},
    summary="One milestone",
    operation_id="get_success_milestone",
)
def get_success_milestone(request: HttpRequest, milestone_id: RecordId) -> Milestone:
    return selectors.milestone_get(user=caller(request), milestone_id=milestone_id)


@router.patch(
    "/success-milestones/{milestone_id}",
    response={200: MilestoneOut, **ERROR_RESPONSES},
    summary="Change a milestone (done: true marks it done now)",
    operation_id="update_success_milestone",
)
def update_success_milestone(
    request: HttpRequest, milestone_id: RecordId, payload: MilestonePatch
) -> Milestone:
    user = caller(request)
    selectors.milestone_get(user=user, milestone_id=milestone_id)
    return services.milestone_update(
        by=user, milestone_id=milestone_id, changes=_given(payload), now=timezone.now()
    )


@router.delete(
    "/success-milestones/{milestone_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a milestone",
    operation_id="delete_success_milestone",
)
def delete_success_milestone(request: HttpRequest, milestone_id: RecordId) -> Status:
    user = caller(request)
    selectors.milestone_get(user=user, milestone_id=milestone_id)
    services.milestone_delete(by=user, milestone_id=milestone_id)
    return Status(204, None)
