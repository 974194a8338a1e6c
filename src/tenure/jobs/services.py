"""Writes for the background-job machinery: asking for a run, ending one from outside, and
keeping django-q2's schedule equal to tenure's recurring jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from croniter import croniter
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import Schedule

from tenure.jobs.models import UNFINISHED, Run, RunStatus
from tenure.jobs.queue import run_enqueue
from tenure.jobs.registry import run_kind
from tenure.jobs.runner import run_change
from tenure.jobs.schedule import RECURRING_JOBS
from tenure.jobs.sweep import runs_sweep


def run_start(
    *,
    kind: str,
    by: Any,
    args: dict[str, Any] | None = None,
    exclusive: bool = False,
    queue: bool = True,
) -> tuple[Run, bool]:
    """Ask for a run of ``kind`` as ``by`` (None: the operator or the schedule); returns the
    ``queued`` run and True. ``exclusive``: when a run of this kind asked for this way is
    queued or running already (a second click, a retried request), that run and False instead
    (a database constraint keeps it one, however many ask at once). Dead runs of the kind are
    swept first, so the run returned is never one whose worker died. The worker gets the task
    when the caller's transaction commits (``queue=False``: the caller does the run itself).
    """
    registered = run_kind(kind)
    if by is not None:
        registered.may_start(by)
    runs_sweep(kind=kind)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = Run.objects.create(
                    kind=kind, args=args or {}, requested_by=by, exclusive=exclusive
                )
        except IntegrityError:
            pending = Run.objects.filter(kind=kind, exclusive=True, status__in=UNFINISHED).first()
            if pending is None:
                raise  # not the one-at-a-time constraint
            return pending, False
        if queue:
            run_enqueue(run)
    return run, True


def run_fail(*, run_id: int, error: str) -> bool:
    """End a run that has not ended, with ``error`` in words (its input is gone, say); a run
    that is running notices at its next heartbeat. False when it had ended already."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return False
    ended = run_change(
        run_id,
        run_kind(run.kind),
        {"status__in": UNFINISHED},
        status=RunStatus.FAILED,
        error=error,
        finished_at=timezone.now(),
    )
    return ended is not None


def _next_time(cron: str) -> datetime:
    """When ``cron`` next comes true, as django-q2 reads it (the server's local clock)."""
    return croniter(cron, timezone.localtime()).get_next(datetime)


@transaction.atomic
def schedules_sync(**_signal_kwargs: Any) -> None:
    """Make django-q2's schedule table hold exactly tenure's recurring jobs (by name).

    A new entry is due when its cron next comes true, not at once (django-q2's default): a new
    install, or a database flushed and migrated again, would otherwise run the nightly chain
    (a refit, a whole-base recompute) the moment its first worker starts."""
    wanted = {job.name: job for job in RECURRING_JOBS}
    Schedule.objects.filter(name__startswith="tenure.").exclude(name__in=wanted).delete()
    for job in wanted.values():
        fields: dict[str, Any] = {
            "func": job.func, "schedule_type": Schedule.CRON, "cron": job.cron, "repeats": -1,
        }  # fmt: skip
        found = Schedule.objects.filter(name=job.name).first()
        if found is None:
            Schedule.objects.create(name=job.name, next_run=_next_time(job.cron), **fields)
        elif any(getattr(found, name) != value for name, value in fields.items()):
            if found.cron != job.cron:
                fields["next_run"] = _next_time(job.cron)
            Schedule.objects.filter(pk=found.pk).update(**fields)
