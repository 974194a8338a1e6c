"""Doing a run: the one claim, the heartbeat, and the end in words.

A run is taken by one conditional update (queued -> running), so two deliveries of its task,
or two workers, never both do it. While it works, a thread beside it writes the heartbeat every
``heartbeat_interval()`` (a fit's numerical work calls nothing back for minutes); the job's
progress updates write it too. A worker killed mid-run stops the heartbeat, and the sweep ends
the run (``tenure.jobs.sweep``). Every write here is conditional on the attempt, so a worker
whose run was swept from under it changes nothing more.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone

from tenure.jobs.models import Run, RunStatus
from tenure.jobs.registry import RunKind, UnknownRunKind, run_kind

logger = logging.getLogger(__name__)


class RunFailed(Exception):
    """A failure the job understands; its message is what the person reads."""


class RunLost(Exception):
    """The run is no longer this worker's: the sweep ended it while the worker was silent."""


def heartbeat_timeout() -> timedelta:
    """A running run whose heartbeat is older than this has lost its worker."""
    return timedelta(seconds=float(settings.RUN_HEARTBEAT_TIMEOUT_SECONDS))


def heartbeat_interval() -> float:
    """Seconds between heartbeats: well below the timeout, so a slow write never looks dead."""
    return heartbeat_timeout().total_seconds() / 6


class RunContext:
    """What a job sees of its run: its arguments, and the helpers that report progress."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.id: int = run.pk
        self.args: dict[str, Any] = dict(run.args or {})

    def _mine(self) -> Any:
        return Run.objects.filter(pk=self.id, status=RunStatus.RUNNING, attempts=self.run.attempts)

    def beat(self) -> None:
        """Say the run is alive; raises ``RunLost`` when it was taken from this worker."""
        if not self._mine().update(heartbeat_at=timezone.now()):
            raise RunLost(f"run {self.id} was ended by the sweep while this worker was silent")

    def progress(self, done: int, total: int | None = None, note: str = "") -> None:
        """How far the run got (``done`` of ``total``, a short phrase); also a heartbeat."""
        changes: dict[str, Any] = {"progress_done": max(0, done), "heartbeat_at": timezone.now()}
        if total is not None:
            changes["progress_total"] = max(0, total)
        if note:
            changes["progress_note"] = note[:200]
        if not self._mine().update(**changes):
            raise RunLost(f"run {self.id} was ended by the sweep while this worker was silent")


class _Heartbeat(threading.Thread):
    """Writes the heartbeat of one attempt until stopped (on its own database connection)."""

    def __init__(self, run_id: int, attempt: int) -> None:
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id, self.attempt = run_id, attempt
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_interval()):
                try:
                    Run.objects.filter(
                        pk=self.run_id, status=RunStatus.RUNNING, attempts=self.attempt
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:  # locked for a moment (SQLite): the next beat tries again
                    logger.warning("heartbeat of run %s not written", self.run_id, exc_info=True)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        # Not forever: a beat may wait for a row lock held by the transaction around the run
        # (a test's); the thread is a daemon, and a late beat of an ended run changes nothing.
        self.join(timeout=heartbeat_interval())


def run_change(run_id: int, kind: RunKind, only_if: dict[str, Any], **changes: Any) -> Run | None:
    """Change a run's state if it still is as ``only_if`` says, and let its app follow, in one
    transaction. None when it was not (another worker or the sweep changed it first)."""
    with transaction.atomic():
        if not Run.objects.filter(pk=run_id, **only_if).update(**changes):
            return None
        run = Run.objects.get(pk=run_id)
        if kind.follow is not None:
            kind.follow(run)
    return run


def _claim(run: Run, kind: RunKind) -> Run | None:
    now = timezone.now()
    return run_change(
        run.pk,
        kind,
        {"status": RunStatus.QUEUED},
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
    )


def run_execute(run_id: int) -> dict[str, Any]:
    """Take the queued run ``run_id`` and do it to its end; safe to deliver twice (a second
    delivery finds it taken and does nothing)."""
    found = Run.objects.filter(pk=run_id).first()
    if found is None or found.status != RunStatus.QUEUED:
        return {"run": run_id, "claimed": False}
    try:
        kind = run_kind(found.kind)
    except UnknownRunKind:
        logger.error("run %s is of the unknown kind %r", run_id, found.kind)
        Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, error="This kind of work is no longer known to tenure."
        )
        return {"run": run_id, "claimed": False}
    run = _claim(found, kind)
    if run is None:
        return {"run": run_id, "claimed": False}
    heartbeat = _Heartbeat(run.pk, run.attempts)
    heartbeat.start()
    result: dict[str, Any] = {}
    error = ""
    try:
        result = kind.function(RunContext(run)) or {}
    except RunFailed as failure:
        error = str(failure)
    except RunLost:
        logger.warning("run %s was swept while its worker still worked; its end is dropped", run_id)
        return {"run": run_id, "claimed": True, "lost": True}
    except Exception:  # a run must end, and say why, whatever happened
        # The details (database messages with process ids, paths) go to the log, not the page.
        logger.exception("run %s (%s) failed", run_id, kind.name)
        error = kind.unexpected
    finally:
        heartbeat.stop()
    status = RunStatus.FAILED if error else RunStatus.DONE
    ended = run_change(
        run.pk,
        kind,
        {"status": RunStatus.RUNNING, "attempts": run.attempts},
        status=status,
        result=result,
        error=error,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if ended is None:
        logger.warning("run %s was swept before it ended; its end is dropped", run_id)
        return {"run": run_id, "claimed": True, "lost": True}
    return {"run": run_id, "claimed": True, "status": status, "error": error, "result": result}
