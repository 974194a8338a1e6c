"""Background work of the lifecycle engine, run by ``tenure worker``.

Safe to deliver twice: a recompute replays the customers from where they were last evaluated
(or from a change's ``since``), and a replay that gives the moves already stored leaves them as
they are, so a second run stores and supersedes nothing (facts unchanged); health
scores are upserts, and a day's snapshot is unique per customer (account).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone


def lifecycle_nightly() -> dict[str, Any]:
    """Nightly, after the model refit: every customer's stage, then every customer's health
    score, then every account's (``health_recompute`` scores the accounts after the
    customers, whose scores an account's roll-up reads), on one clock."""
    from tenure.lifecycle.services import health_recompute, lifecycle_recompute

    now = timezone.now()
    stages = lifecycle_recompute(now=now)
    health = health_recompute(now=now)
    accounts = health.accounts
    return {
        "customers": stages.customers,
        "moved": stages.moved,
        "counts": stages.counts,
        "stages_seconds": round(stages.seconds, 2),
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


def lifecycle_recompute_run(run_id: int) -> dict[str, Any]:
    """A whole-base recompute asked for from a page or the API (``lifecycle_recompute_queue``)."""
    from tenure.lifecycle.services import lifecycle_recompute_run as run_it

    run = run_it(run_id=run_id)
    if run is None:
        return {"run": run_id, "status": "taken by another delivery"}
    return {"run": run.pk, "status": run.status, "customers": run.customers, "moved": run.moved}
