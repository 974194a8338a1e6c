"""Running the due steps: the enrolments whose ``next_at`` has come, a batch at a time.

A batch is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one
writer at a time), so several workers share the due enrolments without waiting on each
other and never run one twice at once. Before every step the playbook's conditions are checked
again (the facts of the whole batch read together): a customer for whom they no longer hold
leaves with the reason. Each step is recorded as a ``StepRun`` (unique per enrolment and
step) in the savepoint of its effects, so a step is done once; a step that raises fails its
enrolment with the error, never the batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.domain.playbooks import PlaybookDefinition, PlaybookError
from tenure.events.record import acting_via
from tenure.playbooks.enrol import holding
from tenure.playbooks.models import Enrollment, EnrollmentStatus, Playbook, StepRun
from tenure.playbooks.services import definition_of
from tenure.playbooks.steps import Outcome, StepContext, step_executor

logger = logging.getLogger(__name__)

BATCH = 500
MAX_STEPS_AT_ONCE = 60


def no_promotion_days() -> int:
    """The longest window after a purchase in which marketing steps wait (the post-purchase
    check-in's ``no_promotion_days``), over the enabled playbooks."""
    windows = [
        int(playbook.definition.get("no_promotion_days", 0) or 0)
        for playbook in Playbook.objects.filter(enabled=True).only("definition")
    ]
    return max(windows, default=0)


def enrollments_advance(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Run the steps that are due (of enabled playbooks); how many enrolments were handled."""
    now = now or timezone.now()
    with transaction.atomic(), acting_via("worker"):
        due = list(
            Enrollment.objects.filter(
                status=EnrollmentStatus.ACTIVE, next_at__lte=now, playbook__enabled=True
            )
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("playbook")
            .order_by("next_at", "id")[:limit]
        )
        if not due:
            return 0
        definitions: dict[int, PlaybookDefinition | None] = {}
        members: dict[int, list[int]] = defaultdict(list)
        for enrollment in due:
            if enrollment.playbook_id not in definitions:
                try:
                    definitions[enrollment.playbook_id] = definition_of(enrollment.playbook)
                except PlaybookError as error:
                    definitions[enrollment.playbook_id] = None
                    logger.warning("playbook %s is refused: %s", enrollment.playbook_id, error)
            members[enrollment.playbook_id].append(enrollment.customer_id)
        holds = {
            pk: holding(definition, members[pk], now)
            for pk, definition in definitions.items()
            if definition is not None
        }
        window = timedelta(days=no_promotion_days())
        last_orders = dict(
            Customer.objects.filter(pk__in={e.customer_id for e in due}).values_list(
                "pk", "last_order_at"
            )
        )
        for enrollment in due:
            definition = definitions[enrollment.playbook_id]
            if definition is None:
                _end(enrollment, EnrollmentStatus.FAILED, "the playbook's definition is refused")
                enrollment.save()
                continue
            hold_until = None
            last_order = last_orders.get(enrollment.customer_id)
            if window and last_order is not None:
                hold_until = last_order + window
            advance_one(
                enrollment, definition, now=now,
                holds=enrollment.customer_id in holds[enrollment.playbook_id],
                promotion_from=hold_until,
            )  # fmt: skip
    return len(due)


def _end(enrollment: Enrollment, status: str, reason: str) -> None:
    enrollment.status = status
    enrollment.reason = reason[:500]
    enrollment.next_at = None
    enrollment.ended_at = timezone.now()


def advance_one(
    enrollment: Enrollment,
    definition: PlaybookDefinition,
    *,
    now: datetime,
    holds: bool,
    promotion_from: datetime | None = None,
) -> None:
    """Run the enrolment's steps that are due, one after another, until one says ``later`` or
    the playbook ends; saves the enrolment."""
    for _ in range(MAX_STEPS_AT_ONCE):
        index = enrollment.step
        if index >= len(definition.steps):
            _end(enrollment, EnrollmentStatus.COMPLETED, "")
            break
        if not holds:
            _end(enrollment, EnrollmentStatus.EXITED,
                 f"the conditions no longer held before step {index + 1}")  # fmt: skip
            break
        step = definition.steps[index]
        if step.is_promotion and promotion_from is not None and now < promotion_from:
            enrollment.next_at = promotion_from
            enrollment.reason = "held: no promotion so soon after a purchase"
            break
        outcome = _run(enrollment, definition, index, now)
        if outcome.status == "later":
            enrollment.next_at = outcome.until or now
            break
        if outcome.status == "failed":
            _end(enrollment, EnrollmentStatus.FAILED, f"step {index + 1}: {outcome.detail}")
            break
        enrollment.step = outcome.goto if outcome.goto is not None else index + 1
        enrollment.step_started_at = now
        enrollment.next_at = now
        enrollment.reason = ""
    enrollment.save()


def _run(
    enrollment: Enrollment, definition: PlaybookDefinition, index: int, now: datetime
) -> Outcome:
    step = definition.steps[index]
    executor = step_executor(step.kind)
    if executor is None:
        who = step.spec.needs or "an app that runs them"
        outcome = Outcome("skipped", f"{step.kind} steps need {who}: nothing runs them here")
    else:
        try:
            with transaction.atomic():
                outcome = executor(StepContext(enrollment, definition, index, step, now))
                if outcome.status != "later":
                    _record(enrollment, index, step.kind, outcome, now)
                return outcome
        except IntegrityError:  # the step was recorded before: it is not done twice
            existing = StepRun.objects.filter(enrollment=enrollment, step=index).first()
            if existing is None:
                raise
            return Outcome(existing.status, existing.detail)  # type: ignore[arg-type]
        except Exception as error:
            logger.exception("playbook step %s of enrolment %s failed", index, enrollment.pk)
            outcome = Outcome("failed", f"{type(error).__name__}: {error}"[:400])
    with transaction.atomic():
        _record(enrollment, index, step.kind, outcome, now)
    return outcome


def _record(enrollment: Enrollment, index: int, kind: str, outcome: Outcome, now: datetime) -> None:
    StepRun.objects.create(
        enrollment=enrollment, step=index, kind=kind, status=outcome.status, at=now,
        detail=outcome.detail[:500],
    )  # fmt: skip
