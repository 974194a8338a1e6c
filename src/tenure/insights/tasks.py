"""The model refit run by ``tenure worker``: nightly (``tenure.jobs.schedule``) and on demand.

Safe to deliver twice: a queued fit is claimed by an atomic status change before it runs, so a
second delivery finds it taken; the nightly refit has no record to claim, and running it twice
replaces the predictions with the same ones (fits write one at a time, see services).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tenure.insights.models import FitStatus, ModelFit
from tenure.insights.services import clv_fit, clv_fit_run


def _claim(fit_id: int) -> bool:
    """Take a queued fit, or one still ``running`` past the queue's timeout (its worker died)."""
    now = timezone.now()
    stale = now - timedelta(seconds=int(settings.Q_CLUSTER.get("timeout", 3600)))  # type: ignore[call-overload]
    return bool(
        ModelFit.objects.filter(
            Q(status=FitStatus.QUEUED) | Q(status=FitStatus.RUNNING, started_at__lt=stale),
            id=fit_id,
        ).update(status=FitStatus.RUNNING, started_at=now, error="")
    )


def clv_refit(fit_id: int | None = None) -> dict[str, Any]:
    """Run the queued fit ``fit_id``, or (nightly, no id) a new fit on today's data."""
    if fit_id is None:
        fit = clv_fit(observation_end=timezone.localdate())
    elif _claim(fit_id):
        fit = clv_fit_run(fit=ModelFit.objects.get(id=fit_id))
    else:
        return {"fit": fit_id, "claimed": False}
    return {"fit": fit.pk, "claimed": True, "status": fit.status, "error": fit.error}
