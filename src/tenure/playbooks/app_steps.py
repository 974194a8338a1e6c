"""The steps that act through other apps: ``email`` queues a message in the mail ledger,
``segment_add`` / ``segment_remove`` change a static segment; and the branch signals
``opened`` and ``clicked`` read the mail app's events.

They live here rather than in those apps because playbooks sit above mail and segments (the
import contracts in ``pyproject.toml``): the mail and segments apps know nothing of playbooks.
Each executor runs in the transaction that records the step, and each write is keyed so that
a step run twice does it once: a message's key is (``playbook:<id>``, step, customer,
occurrence); a segment stay is one open row per customer and segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError

from tenure.domain.playbook_steps import Param, StepKind
from tenure.events.models import Event
from tenure.feedback.models import Survey
from tenure.loyalty.steps import AWARD_POINTS, award_points_check, award_points_run
from tenure.mail.events import MAIL_CLICKED, MAIL_OPENED
from tenure.mail.models import MessageKind, Template
from tenure.mail.services import NewMessage, message_queue
from tenure.playbooks.steps import (
    Outcome,
    StepContext,
    branch_signal_register,
    step_check_register,
    step_executor_register,
    step_register,
)
from tenure.rewards.selectors import coupons_for_mail
from tenure.rewards.steps import ISSUE_COUPON, issue_coupon_check, issue_coupon_run
from tenure.segments.models import Segment
from tenure.segments.services import segment_members_add, segment_members_remove
from tenure.success.appreciation_steps import RECORD_APPRECIATION, record_appreciation_run
from tenure.success.steps import START_ONBOARDING, start_onboarding_check, start_onboarding_run
from tenure.surveys.sending import survey_send


def _template(slug: str) -> Template | None:
    return Template.objects.filter(slug=slug).first()


def _email_check(params: Mapping[str, Any]) -> str | None:
    """Why an email step cannot run (checked when its playbook is switched on)."""
    slug = str(params["template"])
    if _template(slug) is None:
        return f'no email template "{slug}" (the Email > Templates page lists their slugs)'
    return None


def _email(ctx: StepContext) -> Outcome:
    params, enrollment = ctx.step.params, ctx.enrollment
    template = _template(str(params["template"]))
    if template is None:
        return Outcome("failed", f'no email template "{params["template"]}"')
    kind = str(params.get("class") or MessageKind.MARKETING)
    valid_days = params.get("valid_days")
    valid_until = ctx.now + timedelta(days=float(valid_days)) if valid_days else None
    try:
        message, new = message_queue(
            NewMessage(
                source=f"playbook:{enrollment.playbook_id}",
                step=str(ctx.index),
                occurrence=enrollment.occurrence,
                customer_id=enrollment.customer_id,
                due_at=ctx.now,
                kind=kind,
                topic=str(params.get("topic") or template.topic),
                priority=ctx.definition.priority,
                template_id=template.pk,
                valid_until=valid_until,
                # The coupons an earlier step issued, for the template to print.
                context={
                    "coupons": coupons_for_mail(customer_id=enrollment.customer_id, now=ctx.now)
                },
            ),
            now=ctx.now,
        )
    except ValidationError as error:
        return Outcome("failed", "; ".join(error.messages)[:400])
    return Outcome("done", f"message {message.pk} {'queued' if new else 'queued already'}")


def _segment(reference: object) -> Segment | None:
    if isinstance(reference, int):
        return Segment.objects.filter(pk=reference).first()
    return Segment.objects.filter(slug=str(reference)).first()


def _segment_check(params: Mapping[str, Any]) -> str | None:
    segment = _segment(params["segment"])
    if segment is None:
        return f"no segment {params['segment']!r}"
    if not segment.is_static:
        return f"“{segment.name}” is dynamic: only a static segment's members are added or removed"
    return None


def _segment_step(adding: bool) -> Any:
    def run(ctx: StepContext) -> Outcome:
        segment = _segment(ctx.step.params["segment"])
        problem = _segment_check(ctx.step.params)
        if segment is None or problem is not None:
            return Outcome("failed", problem or "no such segment")
        change = segment_members_add if adding else segment_members_remove
        done = change(
            by=None, segment_id=segment.pk, customer_ids=[ctx.enrollment.customer_id], now=ctx.now
        )
        if adding:
            return Outcome("done", f"entered {segment.name}" if done.entered else "in it already")
        return Outcome("done", f"left {segment.name}" if done.left else "not in it")

    return run


def _mail_signal(kind: str) -> Any:
    def signal(customer_id: int, since: datetime, until: datetime) -> bool:
        # Any of the customer's messages: the branch follows the step that sent one, and an
        # open of an older message is as much a sign of life.
        return Event.objects.filter(
            customer_id=customer_id, kind=kind, at__gte=since, at__lte=until
        ).exists()

    return signal


SURVEY = StepKind(
    "survey",
    "Send a survey",
    {"survey": Param("text", required=True, max_length=120, help="the survey's name")},
    "Invite the customer to answer a survey by email (one invitation per enrolment; none "
    "without consent to marketing emails).",
    needs="the surveys",
)


def _survey(reference: object) -> Survey | None:
    return Survey.objects.filter(name=str(reference)).first()


def _survey_check(params: Mapping[str, Any]) -> str | None:
    survey = _survey(params["survey"])
    if survey is None:
        return f"no survey {params['survey']!r} (the Surveys page lists them)"
    return None if survey.active else f"the survey “{survey.name}” is switched off"


def _survey_step(ctx: StepContext) -> Outcome:
    enrollment = ctx.enrollment
    survey = _survey(ctx.step.params["survey"])
    problem = _survey_check(ctx.step.params)
    if survey is None or problem is not None:
        return Outcome("failed", problem or "no such survey")
    result = survey_send(
        by=None, survey_id=survey.pk, customer_ids=[enrollment.customer_id], now=ctx.now,
        source=f"playbook:{enrollment.playbook_id}",
        occurrence=f"playbook:{enrollment.playbook_id}:{ctx.index}:{enrollment.occurrence}",
        send_key=f"{survey.pk}:playbook:{enrollment.playbook_id}",
    )  # fmt: skip
    if result.skipped_count:
        return Outcome("skipped", f"not invited: {', '.join(result.skipped)}")
    return Outcome("done", "invited" if result.invited else "invited already")


def _start_onboarding(ctx: StepContext) -> Outcome:
    status, detail = start_onboarding_run(ctx.step.params, ctx.enrollment.customer_id, ctx.now)
    return Outcome(status, detail)  # type: ignore[arg-type]


def _record_appreciation(ctx: StepContext) -> Outcome:
    enrollment = ctx.enrollment
    key = f"playbook:{enrollment.playbook_id}:{ctx.index}:{enrollment.pk}"  # once per enrolment
    status, detail = record_appreciation_run(ctx.step.params, enrollment.customer_id, key, ctx.now)
    return Outcome(status, detail)  # type: ignore[arg-type]


def _keyed_step(run: Any) -> Any:
    """A step whose effect is keyed by the enrolment and the step (points, a coupon)."""

    def step(ctx: StepContext) -> Outcome:
        enrollment = ctx.enrollment
        key = f"playbook:{enrollment.playbook_id}:{ctx.index}:{enrollment.pk}"
        status, detail = run(ctx.step.params, enrollment.customer_id, key, ctx.now)
        return Outcome(status, detail)

    return step


def app_steps_register() -> None:
    step_register(START_ONBOARDING, _start_onboarding)
    step_register(RECORD_APPRECIATION, _record_appreciation)
    step_register(AWARD_POINTS, _keyed_step(award_points_run))  # loyalty (issue 17)
    step_check_register("award_points", award_points_check)
    step_register(ISSUE_COUPON, _keyed_step(issue_coupon_run))
    step_check_register("issue_coupon", issue_coupon_check)
    step_check_register("start_onboarding", start_onboarding_check)
    step_register(SURVEY, _survey_step)
    step_check_register("survey", _survey_check)
    step_executor_register("email", _email)
    step_check_register("email", _email_check)
    step_executor_register("segment_add", _segment_step(adding=True))
    step_executor_register("segment_remove", _segment_step(adding=False))
    step_check_register("segment_add", _segment_check)
    step_check_register("segment_remove", _segment_check)
    branch_signal_register("opened", _mail_signal(MAIL_OPENED.name))
    branch_signal_register("clicked", _mail_signal(MAIL_CLICKED.name))
