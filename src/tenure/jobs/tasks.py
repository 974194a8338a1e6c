"""What the worker runs for this app: every run's task, the dead-run sweep, the nightly chain
and housekeeping. Each is safe to run twice: a run is claimed once, the sweep and housekeeping
change only what is dead or expired."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_q.models import Success

from tenure.jobs.chain import NIGHTLY, nightly_steps
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start
from tenure.jobs.sweep import runs_lost_in_queue_resend
from tenure.jobs.sweep import runs_sweep as sweep

UPLOAD_RETENTION = timedelta(days=30)
RESULT_RETENTION = timedelta(days=30)


def housekeeping() -> dict[str, int]:
    """Remove expired sessions, import uploads older than 30 days and old task results."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    results, _ = Success.objects.filter(stopped__lt=now - RESULT_RETENTION).delete()
    uploads = 0
    upload_dir = Path(settings.MEDIA_ROOT) / "imports"
    if upload_dir.is_dir():
        cutoff = (now - UPLOAD_RETENTION).timestamp()
        for path in upload_dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                uploads += 1
    return {"sessions": sessions, "results": results, "uploads": uploads}


def run(run_id: int) -> dict[str, Any]:
    """The task of every queued run (``tenure.jobs.queue.run_enqueue``)."""
    return run_execute(run_id)


def runs_sweep() -> dict[str, int]:
    """Every minute: end the runs whose worker died, hand again the queued runs no worker took
    (``tenure.jobs.sweep``)."""
    return {**sweep(), **runs_lost_in_queue_resend()}


def nightly() -> dict[str, Any]:
    """Nightly: the chain of registered steps, done in this task; none when one still runs."""
    chain, started = run_start(
        kind=NIGHTLY, by=None, args={"steps": nightly_steps()}, exclusive=True, queue=False
    )
    if not started:
        return {"run": chain.pk, "claimed": False, "reason": "the previous chain still runs"}
    return run_execute(chain.pk)
