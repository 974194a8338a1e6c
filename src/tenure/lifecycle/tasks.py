"""Background work of the lifecycle engine, run by ``tenure worker``.

Safe to deliver twice: a recompute evaluates the customers from their stored stage, so a
second run finds them where the first put them and moves nobody (facts unchanged); health
scores are upserts, and a day's snapshot is unique per customer.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone


def lifecycle_nightly() -> dict[str, Any]:
    """Nightly, after the model refit: every customer's stage, then every health score, on one
    clock."""
    from tenure.lifecycle.services import health_recompute, lifecycle_recompute

    now = timezone.now()
    stages = lifecycle_recompute(now=now)
    health = health_recompute(now=now)
    return {
        "customers": stages.customers,
        "moved": stages.moved,
        "counts": stages.counts,
        "stages_seconds": round(stages.seconds, 2),
        "health_seconds": round(health.seconds, 2),
    }


def lifecycle_recompute_job(customer_ids: list[int], cause: str) -> dict[str, Any]:
    """Recompute the customers a large import touched (queued by the event receiver)."""
    from tenure.lifecycle.services import lifecycle_update

    result = lifecycle_update(customer_ids=customer_ids, cause=cause)
    return {"customers": result.customers, "moved": result.moved, "cause": cause}
