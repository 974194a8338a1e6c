"""The nightly work as one chain: each step a run, started once the one before is done; a failed
step stops the chain with its reason."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from tenure.insights.models import FitStatus, ModelFit
from tenure.jobs.chain import NIGHTLY, nightly_steps
from tenure.jobs.models import Run, RunStatus
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start, schedules_sync
from tenure.jobs.tasks import nightly
from tenure.lifecycle.models import HealthScore, RecomputeRun
from tests.factories import make_customer
from tests.insights.builders import simulated_buyers
from tests.jobs.workers import wait_until, worker_start, worker_stop

STEPS = ["insights.fit", "lifecycle.recompute", "lifecycle.health"]


def test_the_registered_steps_run_in_order():
    assert nightly_steps() == STEPS


@pytest.mark.django_db
def test_one_scheduled_entry_runs_the_nightly_work():
    schedules_sync()
    nightly_entries = Schedule.objects.filter(func__in=["tenure.jobs.tasks.nightly"])
    assert [entry.name for entry in nightly_entries] == ["tenure.nightly"]
    assert not Schedule.objects.filter(
        func__in=["tenure.insights.tasks.clv_refit", "tenure.lifecycle.tasks.lifecycle_nightly"]
    ).exists()
    assert Schedule.objects.get(name="tenure.runs_sweep").cron == "* * * * *"


def test_a_real_worker_runs_the_steps_one_after_another(database_url):
    customers = simulated_buyers(customers=150, seed=11)
    async_task("tenure.jobs.tasks.nightly", task_name="nightly-now")  # what the schedule does
    worker = worker_start(database_url)
    try:
        wait_until(
            lambda: Run.objects.filter(kind=NIGHTLY, status__in=["done", "failed"]).exists(),
            seconds=240,
            what="the nightly chain",
        )
    finally:
        worker_stop(worker)
    chain = Run.objects.get(kind=NIGHTLY)
    assert chain.status == RunStatus.DONE, chain.error
    steps = list(chain.steps.order_by("id"))
    assert [step.kind for step in steps] == STEPS
    assert all(step.status == RunStatus.DONE for step in steps)
    for before, after in itertools.pairwise(steps):
        assert before.finished_at <= after.started_at  # started once the one before was done
    fit = ModelFit.objects.get(run=steps[0])
    assert (fit.status, fit.customers) == (FitStatus.DONE, len(customers))
    recompute = RecomputeRun.objects.get(run=steps[1])
    assert (recompute.status, recompute.customers) == ("done", len(customers))
    assert HealthScore.objects.count() == len(customers)
    assert (chain.progress_done, chain.progress_total) == (3, 3)


@pytest.mark.django_db
def test_a_failed_step_stops_the_chain_with_its_reason():
    make_customer()  # a customer, no order: nothing the models can be fitted on
    outcome = nightly()

    chain = Run.objects.get(kind=NIGHTLY)
    assert outcome["status"] == chain.status == RunStatus.FAILED
    assert chain.error.startswith("Stopped at step 1 of 3, the model refit: ")
    assert "no completed orders" in chain.error
    assert [(step.kind, step.status) for step in chain.steps.all()] == [("insights.fit", "failed")]
    assert not RecomputeRun.objects.exists() and not HealthScore.objects.exists()


@pytest.mark.django_db
def test_a_chain_taken_again_goes_on_from_the_first_step_not_done():
    simulated_buyers(customers=40, seed=2)
    chain, _ = run_start(kind=NIGHTLY, by=None, args={"steps": STEPS}, queue=False)
    Run.objects.create(kind="insights.fit", parent=chain, status=RunStatus.DONE)  # done before
    outcome = run_execute(chain.pk)

    assert outcome["status"] == RunStatus.DONE, outcome["error"]
    kinds = list(chain.steps.order_by("id").values_list("kind", flat=True))
    assert kinds == STEPS  # the refit not again
    assert not ModelFit.objects.exists()


@pytest.mark.django_db
def test_a_second_nightly_while_one_runs_does_nothing():
    chain, _ = run_start(kind=NIGHTLY, by=None, exclusive=True, queue=False)
    Run.objects.filter(pk=chain.pk).update(
        status=RunStatus.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    assert nightly() == {
        "run": chain.pk,
        "claimed": False,
        "reason": "the previous chain still runs",
    }
