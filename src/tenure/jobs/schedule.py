"""The recurring jobs tenure runs, in one list. Later capabilities (nightly refits, lifecycle
recompute, email sends) add their entries here; `schedules_sync` keeps the queue's table equal
to this list after every migrate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecurringJob:
    name: str
    func: str  # dotted path of the task function
    cron: str  # minute hour day month weekday, in the server's UTC clock
    description: str


RECURRING_JOBS: tuple[RecurringJob, ...] = (
    RecurringJob(
        name="tenure.housekeeping",
        func="tenure.jobs.tasks.housekeeping",
        cron="17 3 * * *",
        description="Nightly: remove expired sessions, old import uploads and old job results.",
    ),
    RecurringJob(
        name="tenure.idempotency_keys_purge",
        func="tenure.api.tasks.idempotency_keys_purge",
        cron="*/30 * * * *",
        description="Every 30 minutes: forget API responses stored for Idempotency-Key retries.",
    ),
    RecurringJob(
        name="tenure.clv_refit",
        func="tenure.insights.tasks.clv_refit",
        cron="41 2 * * *",
        description="Nightly: refit the customer-base models, store each customer's predictions.",
    ),
    RecurringJob(
        name="tenure.lifecycle_nightly",
        func="tenure.lifecycle.tasks.lifecycle_nightly",
        cron="11 3 * * *",
        description="Nightly, after the refit: recompute every customer's lifecycle stage and "
        "health score.",
    ),
)
