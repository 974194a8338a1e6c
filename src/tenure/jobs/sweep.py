"""The one rule for a dead run: a running run whose heartbeat is older than the timeout lost
its worker (killed, out of memory, the machine restarted). It is queued again when its kind
allows another attempt, failed otherwise, and says so in words. The worker sweeps every minute
(``tenure.jobs.schedule``), and every request for a new run of a kind sweeps that kind first,
so nobody is ever answered with a dead run.

A queued run can be lost too: its task is gone from the queue (Redis flushed, a worker killed
between the claim of a nightly chain's step and its start). A queued run that no worker took
within ``QUEUE_PATIENCE`` heartbeat timeouts is handed to the queue again (a second delivery is
harmless: one claim wins); a chain's step left queued is failed, the chain having gone on
without it (``runs_lost_in_queue_resend``)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenure.jobs.models import Run, RunStatus
from tenure.jobs.queue import run_enqueue
from tenure.jobs.registry import UnknownRunKind, run_kind
from tenure.jobs.runner import heartbeat_timeout, run_change

logger = logging.getLogger(__name__)

STARTED_AGAIN = "The worker stopped while it ran; started again."
LEFT_BEHIND = "Its chain went on without it (its worker stopped before it started)."
QUEUE_PATIENCE = 10
RUN_IT_AGAIN = "The worker stopped while it ran; run it again."


def runs_sweep(*, kind: str | None = None, now: datetime | None = None) -> dict[str, int]:
    """End the running runs (of ``kind``, or all) whose heartbeat stopped; returns how many
    were queued again and how many failed."""
    cutoff = (now or timezone.now()) - heartbeat_timeout()
    dead = Run.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    if kind is not None:
        dead = dead.filter(kind=kind)
    counts = {"requeued": 0, "failed": 0}
    for run in dead.order_by("id"):
        still_dead = {
            "status": RunStatus.RUNNING,
            "attempts": run.attempts,
            "heartbeat_at__lt": cutoff,
        }
        try:
            registered = run_kind(run.kind)
        except UnknownRunKind:
            Run.objects.filter(pk=run.pk, **still_dead).update(
                status=RunStatus.FAILED, error=RUN_IT_AGAIN, finished_at=timezone.now()
            )
            counts["failed"] += 1
            continue
        # A chain's step is never queued on its own: the chain decides what runs next.
        retry = run.parent_id is None and run.attempts <= registered.retries
        with transaction.atomic():
            if retry:
                changed = run_change(
                    run.pk, registered, still_dead, status=RunStatus.QUEUED, error=STARTED_AGAIN
                )
                if changed is not None:
                    run_enqueue(changed)
            else:
                changed = run_change(
                    run.pk,
                    registered,
                    still_dead,
                    status=RunStatus.FAILED,
                    error=RUN_IT_AGAIN,
                    finished_at=timezone.now(),
                )
        if changed is not None:
            logger.warning("run %s (%s) lost its worker: %s", run.pk, run.kind, changed.error)
            counts["requeued" if retry else "failed"] += 1
    return counts


def runs_lost_in_queue_resend(*, now: datetime | None = None) -> dict[str, int]:
    """Hand again to the queue the queued runs no worker took within ``QUEUE_PATIENCE``
    heartbeat timeouts (``heartbeat_at`` of a queued run: when it was last handed), and fail
    the chains' steps left queued. Returns how many of each."""
    now = now or timezone.now()
    cutoff = now - heartbeat_timeout() * QUEUE_PATIENCE
    waiting = Run.objects.filter(status=RunStatus.QUEUED).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    left = waiting.filter(parent__isnull=False).update(
        status=RunStatus.FAILED, error=LEFT_BEHIND, finished_at=now
    )
    resent = 0
    for run in waiting.filter(parent__isnull=True).order_by("id"):
        with transaction.atomic():
            if Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(heartbeat_at=now):
                run_enqueue(run)
                resent += 1
    if resent or left:
        logger.warning("queued runs no worker took: %s handed again, %s steps failed", resent, left)
    return {"resent": resent, "left_behind": left}
