"""Receivers: recompute the customers an event touched, open follow-ups for complaints, and
make sure a definition exists after ``migrate``. Connected in ``LifecycleConfig.ready()``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

INLINE_MAX = 5000
"""Above this many customers (a large import batch) the recompute goes to the worker as one
job instead of running in the writer's request or import."""


def on_customers_changed(
    sender: Any,
    *,
    customer_ids: list[int],
    cause: str,
    since: dict[int, datetime] | None = None,
    **_: Any,
) -> None:
    from tenure.lifecycle.services import lifecycle_recompute_enqueue, lifecycle_update

    if len(customer_ids) > INLINE_MAX:
        lifecycle_recompute_enqueue(customer_ids=customer_ids, cause=cause, since=since)
    else:
        lifecycle_update(customer_ids=customer_ids, cause=cause, since=since)


def on_complaint_logged(
    sender: Any, *, interaction_id: int, customer_id: int | None, **_: Any
) -> None:
    from tenure.lifecycle.services import complaint_follow_up

    if customer_id is not None:
        complaint_follow_up(interaction_id=interaction_id)


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    from tenure.lifecycle.services import definitions_ensure_default

    definitions_ensure_default(using=kwargs.get("using", "default"))


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export includes their stage history and health."""
    from django.forms.models import model_to_dict

    from tenure.lifecycle.models import CustomerStage, HealthScore, StageTransition

    def plain(record: Any) -> dict[str, Any]:
        return {**model_to_dict(record), "id": record.pk}

    stage = CustomerStage.objects.filter(customer=customer).first()
    health = HealthScore.objects.filter(customer=customer).first()
    return {
        "lifecycle_stage": plain(stage) if stage else None,
        "stage_transitions": [
            plain(t)
            for t in StageTransition.objects.filter(customer_id=customer.pk).order_by(
                "recorded_at", "effective_at", "step", "id"
            )
        ],
        "health": {**plain(health), "explanation": health.explanation} if health else None,
    }
