"""What runs each kind of step: executors by registration, beside the kinds' declarations
(``tenure.domain.playbook_steps``).

An executor takes a :class:`StepContext` and answers an :class:`Outcome`: ``done`` (with a
step to go to, for a branch), ``skipped`` or ``failed`` with the reason, or ``later`` (not
yet: a wait, a branch still watching). It runs inside the transaction that records the step
(``StepRun``, unique per enrollment and step), so what it writes in the database happens once.
``tenure.playbooks.app_steps`` registers the steps that act through the mail and segments
apps (``email``, ``segment_add``, ``segment_remove``) and the signals ``opened`` and
``clicked``; later apps their own kinds with :func:`step_register`. A kind may also register
a check (:func:`step_check_register`) that says why a step cannot run (a template that does
not exist), asked when its playbook is switched on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.domain.playbook_steps import StepKind, step_kind, step_kind_register
from tenure.domain.playbooks import PlaybookDefinition, Step

if TYPE_CHECKING:
    from tenure.playbooks.models import Enrollment


@dataclass(frozen=True)
class StepContext:
    enrollment: Enrollment
    definition: PlaybookDefinition
    index: int
    step: Step
    now: datetime

    @property
    def params(self) -> dict[str, object]:
        return dict(self.step.params)


@dataclass(frozen=True)
class Outcome:
    status: Literal["done", "skipped", "failed", "later"]
    detail: str = ""
    until: datetime | None = None  # later: when to look again
    goto: int | None = None  # done: the next step, if not the one after


CLAIM_NAMES = {"interaction": "complaint"}
"""A claimed task's key names its record: a complaint's is ``complaint:<id>``, the key of the
hard-wired complaint follow-up (``tenure.lifecycle.followups``), so the two never both open
one."""

Executor = Callable[[StepContext], Outcome]
Check = Callable[[Mapping[str, Any]], "str | None"]
Signal = Callable[[int, datetime, datetime], bool]
"""``signal(customer_id, since, until)``: whether the customer did it (opened an email,
clicked, ordered) in that time."""

_EXECUTORS: dict[str, Executor] = {}
_SIGNALS: dict[str, Signal] = {}
_CHECKS: dict[str, Check] = {}


def step_executor_register(name: str, executor: Executor) -> None:
    """What runs the steps of kind ``name`` (a kind declared already)."""
    step_kind(name)
    _EXECUTORS[name] = executor


def step_register(kind: StepKind, executor: Executor) -> None:
    """A new kind of step and what runs it (points, coupons, surveys: from their app's
    ``ready()``)."""
    step_kind_register(kind)
    step_executor_register(kind.name, executor)


def step_executor(name: str) -> Executor | None:
    return _EXECUTORS.get(name)


def executable_kinds() -> frozenset[str]:
    return frozenset(_EXECUTORS)


def step_check_register(name: str, check: Check) -> None:
    """Why a step of kind ``name`` with these parameters cannot run now (None: it can)."""
    step_kind(name)
    _CHECKS[name] = check


def step_check(name: str) -> Check | None:
    return _CHECKS.get(name)


def branch_signal_register(name: str, signal: Signal) -> None:
    """What a branch on ``name`` (opened, clicked, ordered) asks."""
    _SIGNALS[name] = signal


# --- the built-in executors --------------------------------------------------------------------


def _wait(ctx: StepContext) -> Outcome:
    until = ctx.enrollment.step_started_at + timedelta(days=float(ctx.step.params["days"]))
    if ctx.now < until:
        return Outcome("later", until=until)
    return Outcome("done", f"waited {float(ctx.step.params['days']):g} days")


def _task(ctx: StepContext) -> Outcome:
    from tenure.customers.models import Customer
    from tenure.todos.models import Task, TaskSource
    from tenure.todos.services import task_create

    params, enrollment = ctx.step.params, ctx.enrollment
    customer = Customer.objects.filter(pk=enrollment.customer_id).first()
    if customer is None:
        return Outcome("skipped", "the customer is gone")
    if customer.owner_id is None:
        return Outcome("skipped", "the customer has no owner to give the task to")
    claim = params.get("claim") is True and enrollment.subject_id is not None
    if claim:
        key = f"{CLAIM_NAMES.get(enrollment.subject, enrollment.subject)}:{enrollment.subject_id}"
    else:
        key = f"playbook:{enrollment.pk}:{ctx.index}"
    if Task.objects.filter(source_key=key).exists():
        return Outcome("skipped", f"the task exists already ({key})")
    who = customer.name or customer.external_id
    try:
        with transaction.atomic():
            task = task_create(
                by=None, title=str(params["title"]).replace("{customer}", who)[:200],
                owner=customer.owner_id,
                due=timezone.localdate(ctx.now) + timedelta(days=int(params.get("due_days", 1))),
                priority=str(params.get("priority", "normal")), customer_id=customer.pk,
                source=TaskSource.PLAYBOOK, rule=ctx.definition.slug[:60], source_key=key,
                body=str(params.get("body", "")).replace("{customer}", who),
                interaction_id=(
                    enrollment.subject_id if enrollment.subject == "interaction" else None
                ),
            )  # fmt: skip
    except ValidationError as error:
        if "source_key" in getattr(error, "message_dict", {}):
            return Outcome("skipped", f"the task exists already ({key})")
        return Outcome("failed", "; ".join(error.messages)[:400])
    return Outcome("done", f"task {task.pk} for {customer.owner}")


def _branch(ctx: StepContext) -> Outcome:
    params = ctx.step.params
    on = str(params["on"])
    signal = _SIGNALS.get(on)
    fallback = params.get("else")
    if signal is None:
        detail = f"nothing reports '{on}' here yet (the mail app does): went on"
        return Outcome("skipped", detail, goto=int(fallback) if fallback is not None else None)
    since = ctx.enrollment.step_started_at
    deadline = since + timedelta(days=float(params["within_days"]))
    if signal(ctx.enrollment.customer_id, since, min(ctx.now, deadline)):
        return Outcome("done", f"{on}: went to step {params['goto']}", goto=int(params["goto"]))
    if ctx.now < deadline:
        return Outcome("later", until=min(deadline, ctx.now + timedelta(hours=1)))
    return Outcome(
        "done", f"not {on} within {float(params['within_days']):g} days",
        goto=int(fallback) if fallback is not None else None,
    )  # fmt: skip


def _ordered(customer_id: int, since: datetime, until: datetime) -> bool:
    from tenure.orders.models import Order

    return Order.objects.filter(
        customer_id=customer_id, placed_at__gte=since, placed_at__lte=until, status="completed"
    ).exists()


def builtin_executors_register() -> None:
    step_executor_register("wait", _wait)
    step_executor_register("task", _task)
    step_executor_register("branch", _branch)
    branch_signal_register("ordered", _ordered)
