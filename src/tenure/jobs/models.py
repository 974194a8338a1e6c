"""One record for every background run, whatever its kind: who asked, how far it got, whether
its worker is still alive (the heartbeat), and how it ended, in words."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


UNFINISHED = [RunStatus.QUEUED.value, RunStatus.RUNNING.value]


class Run(models.Model):
    """A background run of a registered kind (``tenure.jobs.registry``).

    A worker takes it by one conditional update, queued -> running (``runner.run_execute``),
    and writes ``heartbeat_at`` while it works; a running run whose heartbeat stopped is ended
    by the sweep (``sweep.runs_sweep``), never left running. ``attempts`` counts the times a
    worker took it. ``parent`` is the chain a step belongs to (the nightly work).
    """

    kind = models.CharField(max_length=60, help_text="a registered run kind")
    args = models.JSONField(default=dict, blank=True, help_text="what the run works on")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="empty: the operator or the schedule",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    exclusive = models.BooleanField(
        default=False, help_text="at most one such run of its kind is queued or running"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    progress_note = models.CharField(max_length=200, blank=True, help_text="what it is doing")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="why it failed, in words")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"], name="run_kind_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="run_status_valid"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(exclusive=True, status__in=UNFINISHED),
                name="run_one_exclusive_unfinished_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status})"
