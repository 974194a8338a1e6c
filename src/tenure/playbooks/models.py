"""Playbooks in the database: definitions, who is enrolled in which, what each step did.

An ``Enrollment`` is unique per (playbook, customer, occurrence): the occurrence is the year of
a birthday, the event of an "every time" playbook, ``once``; triggers are delivered at least
once and the database decides, so a trigger seen twice enrols once. A ``StepRun`` is unique per
(enrollment, step): a step's effect (a task, a queued email) is claimed by it in the same
transaction, so a runner that dies mid-step and runs again does it once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Customer


class Playbook(models.Model):
    """A playbook: its definition (``tenure.domain.playbooks``, as JSON) with its name, slug,
    switch and priority in columns (the definition's own keys, kept equal by the services)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    enabled = models.BooleanField(default=False)
    priority = models.PositiveIntegerField(default=100, help_text="higher goes first")
    definition = models.JSONField(help_text="trigger, conditions, steps, re-entry")
    builtin = models.CharField(
        max_length=40, blank=True, help_text="the built-in playbook it started from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-priority", "name", "id"]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    EXITED = "exited", "Exited"
    FAILED = "failed", "Failed"


class Enrollment(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="enrollments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    occurrence = models.CharField(max_length=100)
    entered_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    step = models.PositiveSmallIntegerField(default=0, help_text="the current step (from 0)")
    step_started_at = models.DateTimeField(help_text="when the current step was reached")
    next_at = models.DateTimeField(null=True, blank=True, help_text="when it is due (active)")
    reason = models.CharField(max_length=500, blank=True, help_text="why it ended so")
    event_id = models.BigIntegerField(null=True, blank=True, help_text="the trigger's event")
    subject = models.CharField(max_length=40, blank=True, help_text="the trigger's record kind")
    subject_id = models.BigIntegerField(
        null=True, blank=True, help_text="the trigger's record (a complaint, a subscription)"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        indexes = [
            models.Index(fields=["next_at"], condition=Q(status="active"), name="enrollment_due"),
            models.Index(fields=["playbook", "status", "step"], name="enrollment_counts"),
            models.Index(fields=["customer", "entered_at"], name="enrollment_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "customer", "occurrence"], name="enrollment_once"
            ),
            models.CheckConstraint(
                condition=Q(status="active", next_at__isnull=False)
                | (~Q(status="active") & Q(next_at__isnull=True)),
                name="enrollment_due_when_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook_id}/{self.customer_id}/{self.occurrence}"


class StepStatus(models.TextChoices):
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class StepRun(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=StepStatus.choices)
    at = models.DateTimeField()
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["enrollment_id", "step"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "step"], name="step_run_once")]

    def __str__(self) -> str:
        return f"{self.enrollment_id}#{self.step} {self.status}"
