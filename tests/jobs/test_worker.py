"""The task queue, for real: a worker process picks jobs from the database or from Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, timedelta

import pytest
import redis
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_q.models import Schedule, Success
from django_q.tasks import async_task

from tenure.jobs.schedule import RECURRING_JOBS
from tenure.jobs.services import schedules_sync


def _redis_url(database_url: str) -> str:
    """A Redis database of this suite's own: the SQLite and PostgreSQL halves of ``make test``
    run side by side, and each empties the one it uses."""
    return f"redis://127.0.0.1:6379/{15 if database_url.startswith('postgres') else 14}"


def _start_worker(database_url: str, **env: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_WORKERS": "1", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen[bytes]) -> str:
    worker.send_signal(signal.SIGTERM)
    try:
        out, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out.decode(errors="replace")


def _wait_for_success(name: str, timeout: float = 60) -> Success:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Success.objects.filter(name=name).first()
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"the worker did not finish {name!r} within {timeout} s")


def _expired_session() -> None:
    Session.objects.create(
        session_key="expired-session-key-0000000000001",
        session_data="e30",
        expire_date=timezone.now() - timedelta(days=1),
    )


def test_worker_runs_a_job_queued_in_the_database(database_url):
    _expired_session()
    async_task("tenure.jobs.tasks.housekeeping", task_name="housekeeping-orm")
    worker = _start_worker(database_url)
    try:
        done = _wait_for_success("housekeeping-orm")
    finally:
        log = _stop(worker)
    assert done.result == {"sessions": 1, "results": 0, "uploads": 0}, log
    assert not Session.objects.exists()


def test_worker_runs_a_job_queued_in_redis(database_url):
    redis_url = _redis_url(database_url)
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(
            f"Redis is not answering on {redis_url} ({error}); start it with "
            "'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\"'"
        )
    client.flushdb()
    env = {"TENURE_REDIS_URL": redis_url}
    _expired_session()
    enqueue = (
        "import django; django.setup();"
        "from django_q.tasks import async_task;"
        "async_task('tenure.jobs.tasks.housekeeping', task_name='housekeeping-redis')"
    )
    subprocess.run(
        [sys.executable, "-c", enqueue],
        env={
            **os.environ,
            "TENURE_DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "tenure.config.settings",
            **env,
        },
        check=True,
    )
    assert client.dbsize() >= 1  # the job waits in Redis, not in the database
    worker = _start_worker(database_url, **env)
    try:
        done = _wait_for_success("housekeeping-redis")
    finally:
        log = _stop(worker)
        client.flushdb()
    assert done.result["sessions"] == 1, log


@pytest.mark.django_db
def test_recurring_jobs_are_scheduled_once():
    schedules_sync()
    schedules_sync()
    names = sorted(
        Schedule.objects.filter(name__startswith="tenure.").values_list("name", flat=True)
    )
    assert names == sorted(job.name for job in RECURRING_JOBS)
    housekeeping = Schedule.objects.get(name="tenure.housekeeping")
    assert housekeeping.schedule_type == Schedule.CRON
    assert housekeeping.func == "tenure.jobs.tasks.housekeeping"
    # Due when the cron next comes true (03:17 UTC), not the moment a first worker starts.
    now = timezone.now()
    nightly = Schedule.objects.get(name="tenure.nightly")
    for schedule, (hour, minute) in ((housekeeping, (3, 17)), (nightly, (2, 41))):
        due = schedule.next_run.astimezone(UTC)
        assert (due.hour, due.minute, due.second) == (hour, minute, 0)
        assert now < due <= now + timedelta(days=1)


@pytest.mark.django_db
def test_a_changed_cron_is_due_at_its_new_time_and_an_unchanged_one_keeps_its_turn():
    schedules_sync()
    soon = timezone.now() + timedelta(minutes=5)
    Schedule.objects.filter(name="tenure.housekeeping").update(next_run=soon)
    Schedule.objects.filter(name="tenure.nightly").update(cron="0 4 * * *", next_run=soon)
    schedules_sync()
    assert Schedule.objects.get(name="tenure.housekeeping").next_run == soon
    nightly = Schedule.objects.get(name="tenure.nightly")
    assert nightly.cron == "41 2 * * *"
    assert nightly.next_run.astimezone(UTC).strftime("%H:%M") == "02:41"


@pytest.mark.django_db
def test_a_schedule_no_longer_listed_is_removed():
    Schedule.objects.create(name="tenure.retired", func="math.floor", schedule_type=Schedule.DAILY)
    Schedule.objects.create(name="someone.elses", func="math.floor", schedule_type=Schedule.DAILY)
    schedules_sync()
    assert not Schedule.objects.filter(name="tenure.retired").exists()
    assert Schedule.objects.filter(name="someone.elses").exists()


def test_worker_refits_the_models_queued_from_the_app(database_url):
    from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
    from tenure.insights.services import clv_fit_enqueue
    from tests.insights.builders import simulated_buyers

    customers = simulated_buyers(customers=150, seed=11)
    fit = clv_fit_enqueue()  # committed at once here: the worker gets the task
    assert ModelFit.objects.get(pk=fit.pk).status == FitStatus.QUEUED
    worker = _start_worker(database_url)
    try:
        _wait_for_success(f"run-{fit.run_id}-1", timeout=120)
    finally:
        log = _stop(worker)
    fit.refresh_from_db()
    assert fit.status == FitStatus.DONE, (fit.error, log)
    assert fit.customers == len(customers)
    assert CustomerPrediction.objects.filter(fit=fit).count() == len(customers)


def test_worker_recomputes_the_whole_base_queued_from_a_page(database_url):
    from tenure.lifecycle.models import CustomerStage, RecomputeRun, RunStatus
    from tenure.lifecycle.services import lifecycle_recompute_queue
    from tests.insights.builders import simulated_buyers

    customers = simulated_buyers(customers=60, seed=5)
    CustomerStage.objects.all().delete()  # placed by the events: start from none
    run, _ = lifecycle_recompute_queue(by=None)  # committed at once here: the worker gets the task
    assert RecomputeRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    worker = _start_worker(database_url)
    try:
        _wait_for_success(f"run-{run.run_id}-1", timeout=120)
    finally:
        log = _stop(worker)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, (run.error, log)
    assert run.customers == len(customers) == CustomerStage.objects.count()
    assert sum(run.counts.values()) == len(customers)
