"""Writes for the background-job machinery."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_q.models import Schedule

from tenure.jobs.schedule import RECURRING_JOBS


@transaction.atomic
def schedules_sync(**_signal_kwargs: Any) -> None:
    """Make django-q2's schedule table hold exactly tenure's recurring jobs (by name)."""
    wanted = {job.name: job for job in RECURRING_JOBS}
    Schedule.objects.filter(name__startswith="tenure.").exclude(name__in=wanted).delete()
    for job in wanted.values():
        Schedule.objects.update_or_create(
            name=job.name,
            defaults={
                "func": job.func,
                "schedule_type": Schedule.CRON,
                "cron": job.cron,
                "repeats": -1,
            },
        )
