"""One rule for a dead run, with real workers killed mid-run: once its heartbeat is older than
the timeout, a run is failed or queued again by the sweep, never left running."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.models import OrmQ, Success
from django_q.tasks import async_task

from tenure.jobs.models import Run, RunStatus
from tenure.jobs.sweep import (
    QUEUE_PATIENCE,
    RUN_IT_AGAIN,
    STARTED_AGAIN,
    runs_lost_in_queue_resend,
    runs_sweep,
)
from tenure.lifecycle.models import RecomputeRun
from tenure.lifecycle.services import lifecycle_recompute_queue
from tenure.orders.models import Order
from tenure.transfer.services import import_job_start
from tests.factories import make_user
from tests.insights.builders import simulated_buyers
from tests.jobs.workers import (
    HEARTBEAT_TIMEOUT,
    wait_until,
    worker_kill,
    worker_start,
    worker_stop,
)
from tests.transfer.conftest import csv_bytes


@pytest.fixture(autouse=True)
def _short_heartbeat(settings) -> None:
    settings.RUN_HEARTBEAT_TIMEOUT_SECONDS = HEARTBEAT_TIMEOUT


def _status(run_id: int) -> str:
    return Run.objects.get(pk=run_id).status


def _past_the_timeout() -> None:
    time.sleep(HEARTBEAT_TIMEOUT + 0.5)


def test_a_recompute_whose_worker_is_killed_fails_and_recompute_now_starts_a_new_one(
    database_url,
):
    simulated_buyers(customers=300, seed=5)
    dead, queued = lifecycle_recompute_queue(by=None)
    assert queued
    worker = worker_start(database_url)
    try:
        wait_until(lambda: _status(dead.run_id) == "running", seconds=60, what="taken")
    finally:
        worker_kill(worker)
    assert _status(dead.run_id) == RunStatus.RUNNING  # killed in the middle

    # Within the timeout the run may still be alive as far as anyone knows: it is the answer.
    assert lifecycle_recompute_queue(by=None) == (dead, False)
    _past_the_timeout()
    fresh, queued = lifecycle_recompute_queue(by=None)  # sweeps the kind first

    assert queued and fresh.pk != dead.pk
    dead.refresh_from_db()
    assert (dead.status, dead.error) == ("failed", RUN_IT_AGAIN)
    assert dead.run.finished_at is not None
    worker = worker_start(database_url)
    try:
        wait_until(lambda: _status(fresh.run_id) == "done", seconds=120, what="the new run")
    finally:
        worker_stop(worker)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.customers) == ("done", 300)
    assert runs_sweep() == {"requeued": 0, "failed": 0}  # nothing left running


def test_an_import_whose_worker_is_killed_is_queued_again_and_stores_every_row_once(
    database_url, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [[f"K{n:05d}", f"C{n % 500}", "2025-02-01", "10.00"] for n in range(20_000)]
    upload = SimpleUploadedFile(
        "orders.csv", csv_bytes([["order_id", "customer_id", "placed_at", "amount"], *rows])
    )
    job = import_job_start(user=make_user(), kind="orders", upload=upload, column_map={})
    worker = worker_start(database_url)
    try:
        wait_until(lambda: _status(job.run_id) == "running", seconds=60, what="taken")
    finally:
        worker_kill(worker)
    job.refresh_from_db()
    assert (job.status, job.run.status) == ("running", "running")  # killed in the middle
    assert runs_sweep() == {"requeued": 0, "failed": 0}  # within the timeout: maybe alive

    _past_the_timeout()
    assert runs_sweep() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.run.error) == ("queued", STARTED_AGAIN)
    assert Path(job.path).exists()
    worker = worker_start(database_url)
    try:
        wait_until(lambda: _status(job.run_id) == "done", seconds=120, what="the second attempt")
    finally:
        worker_stop(worker)
    job.refresh_from_db()
    assert (job.status, job.run.attempts, job.rows_read) == ("done", 2, 20_000)
    assert Order.objects.count() == 20_000  # the rows the first attempt stored: not twice
    assert not Path(job.path).exists()


def test_two_workers_given_the_same_run_do_it_once(database_url):
    simulated_buyers(customers=60, seed=3)
    recompute, _ = lifecycle_recompute_queue(by=None)  # its task: run-<id>-1
    for copy in ("again", "once more"):  # a redelivery, a retry by the queue
        async_task("tenure.jobs.tasks.run", recompute.run_id, task_name=f"{copy}-{recompute.pk}")
    names = [f"run-{recompute.run_id}-1", f"again-{recompute.pk}", f"once more-{recompute.pk}"]
    workers = [worker_start(database_url), worker_start(database_url)]
    try:
        wait_until(
            lambda: Success.objects.filter(name__in=names).count() == 3,
            seconds=120,
            what="the three deliveries",
        )
    finally:
        for worker in workers:
            worker_stop(worker)
    claimed = [result.result["claimed"] for result in Success.objects.filter(name__in=names)]
    assert sorted(claimed) == [False, False, True]
    run = Run.objects.get(pk=recompute.run_id)
    assert (run.status, run.attempts) == ("done", 1)
    assert RecomputeRun.objects.filter(status="done").count() == 1


def test_a_queued_run_whose_task_was_lost_is_handed_again_and_done(database_url):
    simulated_buyers(customers=60, seed=8)
    recompute, queued = lifecycle_recompute_queue(by=None)
    assert queued
    OrmQ.objects.all().delete()  # the queue lost its task (a flushed Redis, say)
    chain_step = Run.objects.create(kind="lifecycle.health", parent=recompute.run)  # orphaned

    # Patience: a run merely waiting behind a long one is not handed twice a minute.
    assert runs_lost_in_queue_resend() == {"resent": 0, "left_behind": 0}
    later = timezone.now() + timedelta(seconds=HEARTBEAT_TIMEOUT * QUEUE_PATIENCE + 1)
    assert runs_lost_in_queue_resend(now=later) == {"resent": 1, "left_behind": 1}
    assert (Run.objects.get(pk=chain_step.pk).status, OrmQ.objects.count()) == ("failed", 1)
    assert lifecycle_recompute_queue(by=None) == (recompute, False)  # still the pending one

    worker = worker_start(database_url)
    try:
        wait_until(lambda: _status(recompute.run_id) == "done", seconds=120, what="the run")
    finally:
        worker_stop(worker)
    recompute.refresh_from_db()
    assert (recompute.status, recompute.customers) == ("done", 60)
