"""Receivers: make sure a definition exists after ``migrate``; a person's export. Connected in
``LifecycleConfig.ready()``. (What follows the events is in ``tenure.lifecycle.following``.)"""

from __future__ import annotations

from typing import Any


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
