"""The nightly work as one chain: each step a run, started once the one before has ended; a
failed step stops the chain with its reason, unless the steps after it do not need it (the
model refit)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from tenure.insights.models import FitStatus, ModelFit
from tenure.jobs.chain import NIGHTLY, nightly_steps
from tenure.jobs.models import Run, RunStatus
from tenure.jobs.registry import RunKind, run_kind_register
from tenure.jobs.runner import RunFailed, run_execute
from tenure.jobs.services import run_start, schedules_sync
from tenure.jobs.tasks import nightly
from tenure.lifecycle.models import HealthScore, RecomputeRun
from tests.factories import make_customer
from tests.insights.builders import simulated_buyers
from tests.jobs.workers import wait_until, worker_start, worker_stop

STEPS = [
    "insights.fit",
    "lifecycle.recompute",
    "lifecycle.health",
    "loyalty.challenges",  # challenges' progress and bonuses, before the tiers they may lift
    "loyalty.tiers",  # the tiers' reviews, before the segments read the day's facts
    "segments.refresh",
    "playbooks.daily",
    "loyalty.expire",  # lots whose moment has come, then the balances checked
    "referrals.reward",  # referral rewards due, before the balances are checked
    "loyalty.reconcile",
    "bulk.trash_purge",
    "notifications.digest",
    "themes.find",  # the themes of what customers wrote, last
]


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
    assert (chain.progress_done, chain.progress_total) == (len(STEPS), len(STEPS))


def _refuses(run) -> None:
    raise RunFailed("No stages today: the definition is being edited.")


run_kind_register(RunKind(name="tests.refuses", label="stage recompute", function=_refuses))


@pytest.mark.django_db
def test_a_failed_refit_leaves_the_stages_and_health_to_go_on():
    make_customer()  # a customer, no order: nothing the models can be fitted on
    outcome = nightly()

    chain = Run.objects.get(kind=NIGHTLY)
    assert outcome["status"] == chain.status == RunStatus.DONE, chain.error
    assert "no completed orders" in chain.result["failed"]["insights.fit"]
    steps = [(step.kind, step.status) for step in chain.steps.order_by("id")]
    assert steps == [
        ("insights.fit", "failed"),
        ("lifecycle.recompute", "done"),
        ("lifecycle.health", "done"),
        ("loyalty.challenges", "done"),
        ("loyalty.tiers", "done"),
        ("segments.refresh", "done"),
        ("playbooks.daily", "done"),
        ("loyalty.expire", "done"),
        ("referrals.reward", "done"),
        ("loyalty.reconcile", "done"),
        ("bulk.trash_purge", "done"),
        ("notifications.digest", "done"),
        ("themes.find", "done"),
    ]
    assert RecomputeRun.objects.get().status == "done" and HealthScore.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_step_the_others_need_stops_the_chain_with_its_reason():
    chain, _ = run_start(
        kind=NIGHTLY, by=None, args={"steps": ["tests.refuses", "lifecycle.health"]}, queue=False
    )
    outcome = run_execute(chain.pk)

    chain.refresh_from_db()
    assert outcome["status"] == chain.status == RunStatus.FAILED
    assert chain.error == (
        "Stopped at step 1 of 2, the stage recompute: No stages today: the definition is being "
        "edited."
    )
    assert [(step.kind, step.status) for step in chain.steps.all()] == [("tests.refuses", "failed")]
    assert not HealthScore.objects.exists()


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
