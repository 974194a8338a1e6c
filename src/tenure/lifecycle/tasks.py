"""Background work of the lifecycle engine, run by ``tenure worker``: two ``tenure.jobs`` run
kinds (the whole-base recompute, asked for from a page, the API or the nightly chain, and the
health scores of everyone, the chain's next step) and the recompute of a large import's
customers.

Safe to deliver twice: a recompute replays the customers from where they were last evaluated
(or from a change's ``since``), and a replay that gives the moves already stored leaves them as
they are, so a second run stores and supersedes nothing (facts unchanged); health
scores are upserts, and a day's snapshot is unique per customer (account).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from tenure.jobs.models import Run
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext
from tenure.lifecycle.models import HEALTH_RUN, RECOMPUTE_RUN, RecomputeRun, RunStatus


def recompute_follow(run: Run) -> None:
    """The recompute's record (the page's and the API's answer) says what its run says."""
    RecomputeRun.objects.filter(run_id=run.pk).update(
        status=run.status,
        error=run.error if run.status == RunStatus.FAILED else "",
        finished_at=run.finished_at,
    )


def recompute_run(run: RunContext) -> dict[str, Any]:
    """Every customer's stage on one clock, then (``args["health"]``, "Recompute now") every
    customer's and account's health on the same clock; the nightly chain scores health in a
    step of its own."""
    from tenure.lifecycle.services import active_definition, lifecycle_recompute

    recompute = RecomputeRun.objects.filter(run_id=run.id).first()
    if recompute is None:  # the nightly chain's step: its record is made here
        recompute = RecomputeRun.objects.create(
            run_id=run.id, scope="all", status=RunStatus.RUNNING, definition=active_definition()
        )

    def on_progress(done: int, everyone: int) -> None:
        run.progress(done, everyone, f"{done:,} of {everyone:,} customers placed")

    stages = lifecycle_recompute(run=recompute, on_progress=on_progress)
    figures: dict[str, Any] = {
        "recompute": recompute.pk,
        "customers": stages.customers,
        "moved": stages.moved,
        "counts": stages.counts,
        "stages_seconds": round(stages.seconds, 2),
    }
    if run.args.get("health"):
        figures |= _health_figures(stages.as_of)
    return figures


def health_run(run: RunContext) -> dict[str, Any]:
    """Every customer's health score, then every account's (``health_recompute`` scores the
    accounts after the customers, whose scores an account's roll-up reads)."""
    return _health_figures(timezone.now())


def _health_figures(now: datetime) -> dict[str, Any]:
    from tenure.lifecycle.services import health_recompute

    health = health_recompute(now=now)
    accounts = health.accounts
    return {
        "health_seconds": round(health.seconds, 2),
        "accounts_scored": accounts.scored if accounts else 0,
        "account_health_seconds": round(accounts.seconds, 2) if accounts else 0.0,
    }


def lifecycle_recompute_job(
    customer_ids: list[int], cause: str, since: dict[int, datetime] | None = None
) -> dict[str, Any]:
    """Recompute the customers a large import touched (queued by the event receiver)."""
    from tenure.lifecycle.services import lifecycle_update

    result = lifecycle_update(customer_ids=customer_ids, cause=cause, since=since)
    return {"customers": result.customers, "moved": result.moved, "cause": cause}


def _may_recompute(by: Any) -> None:
    from tenure.lifecycle.services import recompute_require

    recompute_require(by, whole_base=True)


RECOMPUTE_KIND = RunKind(
    name=RECOMPUTE_RUN,
    label="lifecycle recompute",
    function=recompute_run,
    may_start=_may_recompute,
    unexpected="The recompute stopped on an unexpected error (the details are in the worker's "
    "log); run it again.",
    follow=recompute_follow,
    nightly=20,
)
HEALTH_KIND = RunKind(
    name=HEALTH_RUN,
    label="health scores",
    function=health_run,
    may_start=_may_recompute,
    unexpected="Scoring health stopped on an unexpected error (the details are in the worker's "
    "log); run it again.",
    nightly=30,
)
