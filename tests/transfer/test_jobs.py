"""Imports started from the web page: kept upload, queued job, run by a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.models import OrmQ

from tenure.domain.records import ImportFileError
from tenure.jobs.models import Run, RunStatus
from tenure.jobs.runner import run_execute
from tenure.jobs.sweep import runs_sweep
from tenure.orders.models import Order
from tenure.transfer.models import ImportJob, ImportStatus
from tenure.transfer.selectors import import_job_get, import_job_list
from tenure.transfer.services import import_job_start
from tests.factories import make_user
from tests.transfer.conftest import csv_bytes

HEADER = ["order_id", "customer_id", "placed_at", "amount"]


def _upload(rows, name="orders.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def _rows(count: int) -> list[list[str]]:
    return [[f"W{n:04d}", f"C{n % 7}", "2025-02-01", "10.00"] for n in range(count)]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _run() -> Run:
    return Run.objects.create(kind="transfer.import")


def _wait_for_end(job_id: int, worker: subprocess.Popen, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(id=job_id)
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.2)
    raise AssertionError(f"import job {job_id} did not finish within {timeout} s")


def test_an_import_from_the_web_page_runs_in_a_real_worker(database_url, media):
    user = make_user()
    rows = [*_rows(40), ["BAD1", "C1", "2025-02-01", "-1"], ["BAD2", "", "2025-02-01", "1"]]
    job = import_job_start(user=user, kind="orders", upload=_upload([HEADER, *rows]), column_map={})

    assert job.status == ImportStatus.QUEUED
    assert Path(job.path).parent == media / "imports"
    assert Path(job.path).read_bytes() == csv_bytes([HEADER, *rows])
    assert (job.file_name, job.bytes_total, job.created_by) == (
        "orders.csv",
        len(csv_bytes([HEADER, *rows])),
        user,
    )
    env = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_WORKERS": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job = _wait_for_end(job.id, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    assert job.status == ImportStatus.DONE, job.error
    assert (job.rows_read, job.rows_stored, job.rows_rejected) == (42, 40, 2)
    assert job.rejects == [
        {"line": 42, "column": "amount", "reason": "must be zero or more, not -1"},
        {"line": 43, "column": "customer_id", "reason": "required, but empty"},
    ]
    assert (job.bytes_done, job.percent_done) == (job.bytes_total, 100)
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert Order.objects.count() == 40


@pytest.mark.django_db
def test_the_job_is_queued_when_the_transaction_commits(media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = import_job_start(
            user=None, kind="customers", upload=_upload([["customer_id"], ["C1"]]), column_map={}
        )
        assert not OrmQ.objects.exists()  # not before the commit
    assert len(callbacks) == 1
    task = OrmQ.objects.get().task
    assert (task["func"], task["args"]) == ("tenure.jobs.tasks.run", (job.run_id,))
    assert job.run.kind == "transfer.import" and job.run.requested_by is None


@pytest.mark.django_db
def test_a_second_delivery_of_the_job_does_nothing(media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(
            user=make_user(), kind="orders", upload=_upload([HEADER, *_rows(5)]), column_map={}
        )

    first = run_execute(job.run_id)
    Order.objects.filter(external_id="W0000").delete()  # would come back if the job ran again
    second = run_execute(job.run_id)

    assert (first["claimed"], first["status"], first["result"]["created"]) == (True, "done", 5)
    assert second == {"run": job.run_id, "claimed": False}
    assert Order.objects.count() == 4
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.DONE


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_queued_again_once_its_heartbeat_stops(
    media, settings, django_capture_on_commit_callbacks
):
    """tests/jobs/test_dead_runs.py kills real workers; here the sweep's rule for an import."""
    settings.RUN_HEARTBEAT_TIMEOUT_SECONDS = 120
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(
            user=make_user(), kind="orders", upload=_upload([HEADER, *_rows(3)]), column_map={}
        )
    recent = timezone.now() - timedelta(seconds=30)
    Run.objects.filter(id=job.run_id).update(
        status=RunStatus.RUNNING, attempts=1, started_at=recent, heartbeat_at=recent
    )
    assert runs_sweep() == {"requeued": 0, "failed": 0}  # alive: it beat 30 s ago
    assert run_execute(job.run_id)["claimed"] is False  # running somewhere: not taken twice

    silent = timezone.now() - timedelta(minutes=3)  # past the two-minute timeout
    Run.objects.filter(id=job.run_id).update(heartbeat_at=silent)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert runs_sweep() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.run.error) == (
        "queued",
        "The worker stopped while it ran; started again.",
    )
    assert Path(job.path).exists()  # kept for the attempt to come
    assert len(queued) == 1
    assert run_execute(job.run_id)["status"] == RunStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.run.attempts, Order.objects.count()) == ("done", 2, 3)
    assert not Path(job.path).exists()

    # a second death is the last: failed, in words, the upload gone
    Run.objects.filter(id=job.run_id).update(status=RunStatus.RUNNING, heartbeat_at=silent)
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.RUNNING)
    assert runs_sweep() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The worker stopped while it ran; run it again.")


@pytest.mark.django_db
def test_a_job_whose_file_is_gone_fails_and_says_why(media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(
            user=make_user(), kind="orders", upload=_upload([HEADER, *_rows(3)]), column_map={}
        )
    Path(job.path).unlink()

    outcome = run_execute(job.run_id)

    job.refresh_from_db()
    assert (outcome["status"], job.status) == (ImportStatus.FAILED, ImportStatus.FAILED)
    assert "The uploaded file cannot be read" in job.error
    assert job.finished_at is not None


@pytest.mark.django_db
def test_a_file_without_the_required_columns_is_refused_at_once(media):
    upload = _upload([["order_id", "customer_id", "amount"], ["O1", "C1", "1"]])
    with pytest.raises(ImportFileError, match="missing required column 'placed_at'"):
        import_job_start(user=None, kind="orders", upload=upload, column_map={})
    assert not ImportJob.objects.exists()
    assert not (media / "imports").exists()


@pytest.mark.django_db
def test_the_latest_jobs_are_listed_newest_first():
    user = make_user()
    first = ImportJob.objects.create(
        run=_run(), kind="orders", file_name="a.csv", path="/a", created_by=user
    )
    second = ImportJob.objects.create(run=_run(), kind="customers", file_name="b.csv", path="/b")
    ImportJob.objects.filter(id=first.id).update(created_at=timezone.now() - timedelta(hours=1))
    assert [job.id for job in import_job_list(user=user, limit=5)] == [second.id, first.id]
    assert [job.id for job in import_job_list(user=user, limit=1)] == [second.id]
    assert import_job_get(user=user, job_id=first.id).created_by == user
    with pytest.raises(ImportJob.DoesNotExist):
        import_job_get(user=user, job_id=999_999)


@pytest.mark.django_db
def test_a_success_manager_sees_only_their_own_jobs():
    success_manager = make_user(role="success_manager")
    theirs = ImportJob.objects.create(
        run=_run(), kind="orders", file_name="mine.csv", path="/m", created_by=success_manager
    )
    other = ImportJob.objects.create(run=_run(), kind="orders", file_name="other.csv", path="/o")
    assert [job.id for job in import_job_list(user=success_manager)] == [theirs.id]
    with pytest.raises(ImportJob.DoesNotExist):
        import_job_get(user=success_manager, job_id=other.id)


@pytest.mark.django_db
def test_a_job_whose_uploader_is_gone_imports_nothing(media, django_capture_on_commit_callbacks):
    """The import runs as its uploader: with no uploader left it must not run as no one (the
    operator, who may change everything)."""
    uploader = make_user()
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(
            user=uploader, kind="orders", upload=_upload([HEADER, *_rows(3)]), column_map={}
        )
    uploader.delete()

    assert run_execute(job.run_id)["status"] == ImportStatus.FAILED
    job.refresh_from_db()
    assert "no longer has an account" in job.error
    assert not Order.objects.exists()
    assert not Path(job.path).exists()
