"""The recurring jobs tenure runs, in one list; `schedules_sync` keeps the queue's table equal
to this list after every migrate. The nightly work is one entry, the chain
(`tenure.jobs.chain`): a capability adds a step by registering a run kind with a ``nightly``
place, not a clock time here."""

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
        name="tenure.runs_sweep",
        func="tenure.jobs.tasks.runs_sweep",
        cron="* * * * *",
        description="Every minute: fail or queue again the runs whose worker stopped.",
    ),
    RecurringJob(
        name="tenure.renewals_announce",
        func="tenure.customers.tasks.renewals_announce",
        cron="7 * * * *",
        description='Hourly: a "renewal coming" event for each subscription renewing within '
        "30 days, once per renewal.",
    ),
    RecurringJob(
        name="tenure.playbooks_steps",
        func="tenure.playbooks.tasks.steps_due",
        cron="* * * * *",
        description="Every minute: the playbooks' due steps (the worker also follows them "
        "within a second).",
    ),
    RecurringJob(
        name="tenure.mail_broadcasts",
        func="tenure.mail.tasks.broadcasts_due",
        cron="* * * * *",
        description="Every minute: start the broadcasts whose time came, finish the sent ones "
        "(the worker also follows them within a second).",
    ),
    RecurringJob(
        name="tenure.nightly",
        func="tenure.jobs.tasks.nightly",
        cron="41 2 * * *",
        description="Nightly: the chain of registered steps, each once the one before is done "
        "(refit the models, recompute every stage, score health, ...).",
    ),
)
