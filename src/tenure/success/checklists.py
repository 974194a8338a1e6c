"""Writes of checklist templates and their steps: the whole business's settings, so admins and
managers change them (``require_all``); every role reads them. Each write is validated per
field (the error names it), saved through ``record_save`` with its history (auditlog tracks
both models).

A template in use keeps its running onboardings as they were: an onboarding's steps are the
tasks opened when it started (``tenure.success.onboarding``), so adding, editing, moving or
removing a step changes the onboardings started from then on only. What would change the
meaning of a running onboarding is refused instead: a template in use keeps what it applies
to, and is deactivated rather than deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require_all
from tenure.access.records import record_save, reject_unknown_fields
from tenure.domain.access import Action, Role
from tenure.domain.errors import Conflict
from tenure.success.models import (
    AppliesTo,
    ChecklistStep,
    ChecklistTemplate,
    Onboarding,
    StepOwner,
)
from tenure.users.models import User

TEMPLATES_WHY = "checklist templates are the whole business's: admins and managers change them"
TEMPLATE_FIELDS = frozenset({"name", "applies_to", "active"})
STEP_FIELDS = frozenset(
    {"title", "days_after_start", "owner_kind", "member_id", "role", "first_value", "position"}
)
DAYS_MAX = 3650


def _may_change(by: User | None) -> None:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)


def _text(name: str, value: Any, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({name: ["required"]})
    if len(text) > limit:
        raise ValidationError({name: [f"at most {limit} characters"]})
    return text


def _template_apply(template: ChecklistTemplate, data: Mapping[str, Any]) -> None:
    if "name" in data:
        template.name = _text("name", data["name"], 120)
    if "applies_to" in data:
        if data["applies_to"] not in AppliesTo.values:
            raise ValidationError({"applies_to": ["one of " + ", ".join(AppliesTo.values)]})
        template.applies_to = data["applies_to"]
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise ValidationError({"active": ["true or false"]})
        template.active = data["active"]


@transaction.atomic
def checklist_template_create(
    *, by: User | None, data: Mapping[str, Any], steps: Sequence[Mapping[str, Any]] | None = None
) -> ChecklistTemplate:
    """A new checklist (name, applies_to account/customer, active) with its ``steps`` in
    order; an error in a step names it (``steps.2.title``)."""
    _may_change(by)
    reject_unknown_fields(data, TEMPLATE_FIELDS)
    if not str(data.get("name") or "").strip():
        raise ValidationError({"name": ["required"]})
    template = ChecklistTemplate()
    _template_apply(template, data)
    record_save(template)
    for index, step in enumerate(steps or []):
        try:
            checklist_step_add(by=by, template_id=template.pk, data=step)
        except ValidationError as error:
            raise ValidationError(
                {f"steps.{index}.{name}": found for name, found in error.message_dict.items()}
            ) from None
    return template


@transaction.atomic
def checklist_template_update(
    *, by: User | None, template_id: int, changes: Mapping[str, Any]
) -> ChecklistTemplate:
    reject_unknown_fields(changes, TEMPLATE_FIELDS)
    template = _template_for_change(by, template_id)
    before = template.applies_to
    _template_apply(template, changes)
    if template.applies_to != before and Onboarding.objects.filter(template=template).exists():
        raise ValidationError(
            {"applies_to": ["its onboardings are running: make a new checklist instead"]}
        )
    record_save(template)
    return template


@transaction.atomic
def checklist_template_delete(*, by: User | None, template_id: int) -> None:
    """Delete a checklist no onboarding used (one in use is deactivated instead: 409)."""
    template = _template_for_change(by, template_id)
    used = Onboarding.objects.filter(template=template).count()
    if used:
        raise Conflict(
            f"“{template.name}” has {used} onboarding{'s' if used != 1 else ''}: "
            "deactivate it instead (active: false)"
        )
    template.delete()


def _step_apply(step: ChecklistStep, data: Mapping[str, Any]) -> None:
    if "title" in data:
        step.title = _text("title", data["title"], 200)
    if "days_after_start" in data:
        days = data["days_after_start"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= DAYS_MAX:
            raise ValidationError(
                {"days_after_start": [f"a whole number of days, 0 to {DAYS_MAX}"]}
            )
        step.days_after_start = days
    if "owner_kind" in data:
        if data["owner_kind"] not in StepOwner.values:
            raise ValidationError({"owner_kind": ["one of " + ", ".join(StepOwner.values)]})
        step.owner_kind = data["owner_kind"]
    if "member_id" in data:
        step.member_id = data["member_id"] or None
    if "role" in data:
        step.role = str(data["role"] or "").strip()
    if "first_value" in data:
        if not isinstance(data["first_value"], bool):
            raise ValidationError({"first_value": ["true or false"]})
        step.first_value = data["first_value"]
    _owner_rule_check(step)


def _owner_rule_check(step: ChecklistStep) -> None:
    """The owner rule is whole: a member for "member" (an active one), a role for "role",
    neither for the record's owner."""
    if step.owner_kind == StepOwner.MEMBER:
        if step.member_id is None:
            raise ValidationError({"member_id": ["choose the team member who owns this step"]})
        if not User.objects.filter(pk=step.member_id, is_active=True).exists():
            raise ValidationError({"member_id": [f"no active user with id {step.member_id}"]})
    else:
        step.member_id = None
    if step.owner_kind == StepOwner.ROLE:
        if step.role not in {role.value for role in Role}:
            raise ValidationError({"role": ["one of " + ", ".join(role.value for role in Role)]})
    else:
        step.role = ""


def _first_value_check(step: ChecklistStep) -> None:
    if not step.first_value:
        return
    other = step.template.steps.filter(first_value=True).exclude(pk=step.pk).first()
    if other is not None:
        raise ValidationError(
            {"first_value": [f"“{other.title}” marks first value already: one step does"]}
        )


def _position_of(data: Mapping[str, Any], count: int) -> int | None:
    if data.get("position") is None:
        return None
    position = data["position"]
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= count:
        raise ValidationError({"position": [f"a place from 1 to {count}"]})
    return position


def _renumber(template: ChecklistTemplate, ordered: list[ChecklistStep]) -> None:
    """Store ``ordered`` as the steps' order. Each step moves above the highest position in
    use, so no save meets another step's place (one per template and position) and each
    history entry says the step's real move."""
    top = max((s.position for s in template.steps.all()), default=0)
    for offset, step in enumerate(ordered, start=1):
        if step.position != top + offset:
            step.position = top + offset
            record_save(step)


def _placed(template: ChecklistTemplate, step: ChecklistStep, position: int | None) -> None:
    """Put ``step`` (saved) at ``position`` (1 = first; None = where it is) among the steps."""
    others = list(template.steps.exclude(pk=step.pk).order_by("position", "pk"))
    if position is None:
        return
    others.insert(position - 1, step)
    current = list(template.steps.order_by("position", "pk"))
    if [s.pk for s in current] != [s.pk for s in others]:
        _renumber(template, others)


def _template_for_change(by: User | None, template_id: int) -> ChecklistTemplate:
    _may_change(by)
    template = ChecklistTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise ValidationError({"template_id": [f"no checklist template {template_id}"]})
    return template


@transaction.atomic
def checklist_step_add(
    *, by: User | None, template_id: int, data: Mapping[str, Any]
) -> ChecklistStep:
    """A step at ``position`` (1 = first; default: last). New onboardings get it; running
    ones keep the tasks they have."""
    reject_unknown_fields(data, STEP_FIELDS)
    template = _template_for_change(by, template_id)
    count = template.steps.count()
    position = _position_of(data, count + 1)
    if not str(data.get("title") or "").strip():
        raise ValidationError({"title": ["required"]})
    top = max((s.position for s in template.steps.all()), default=-1)
    step = ChecklistStep(template=template, position=top + 1)
    _step_apply(step, {k: v for k, v in data.items() if k != "position"})
    _first_value_check(step)
    record_save(step)
    _placed(template, step, position)
    return step


def _step_for_change(by: User | None, step_id: int, template_id: int | None) -> ChecklistStep:
    _may_change(by)
    found = ChecklistStep.objects.select_for_update().filter(pk=step_id)
    if template_id is not None:
        found = found.filter(template_id=template_id)
    step = found.select_related("template").first()
    if step is None:
        raise ValidationError({"step_id": [f"no step {step_id} in this checklist"]})
    return step


@transaction.atomic
def checklist_step_update(
    *,
    by: User | None,
    step_id: int,
    changes: Mapping[str, Any],
    template_id: int | None = None,
) -> ChecklistStep:
    """Change a step (its ``position`` moves it: 1 = first)."""
    reject_unknown_fields(changes, STEP_FIELDS)
    step = _step_for_change(by, step_id, template_id)
    position = _position_of(changes, step.template.steps.count())
    _step_apply(step, {k: v for k, v in changes.items() if k != "position"})
    _first_value_check(step)
    record_save(step)
    _placed(step.template, step, position)
    return step


@transaction.atomic
def checklist_step_remove(*, by: User | None, step_id: int, template_id: int | None = None) -> None:
    """Remove a step from the checklist: onboardings started before keep its task."""
    step = _step_for_change(by, step_id, template_id)
    step.delete()
