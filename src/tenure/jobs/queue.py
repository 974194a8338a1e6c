"""Handing a run to the worker: one django-q2 task per run, sent once the run is committed."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from tenure.jobs.models import Run


def run_enqueue(run: Run) -> None:
    """Queue the task that does ``run`` when the surrounding transaction commits."""
    run_id, attempt = run.pk, run.attempts
    transaction.on_commit(
        lambda: async_task("tenure.jobs.tasks.run", run_id, task_name=f"run-{run_id}-{attempt + 1}")
    )
