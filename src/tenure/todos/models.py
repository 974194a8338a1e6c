"""The team's to-dos: follow-ups, onboarding steps, reviews. Below the lifecycle engine, so
that it, playbooks and success plans all create and read tasks the same way."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Account, Customer
from tenure.interactions.models import Interaction


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskSource(models.TextChoices):
    MANUAL = "manual", "By hand"
    AT_RISK = "at_risk", "From the at-risk list"
    RULE = "rule", "By a rule"
    PLAYBOOK = "playbook", "By a playbook"


class Task(models.Model):
    """A follow-up for the team: by hand, from the at-risk list, or opened by a rule.

    ``source_key`` claims a rule's effect once (e.g. ``complaint:123``: one follow-up per
    complaint, however often the event is delivered); at most one open at-risk task per
    customer (a partial unique constraint).
    """

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks"
    )
    due = models.DateField()
    priority = models.CharField(
        max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    source = models.CharField(max_length=10, choices=TaskSource.choices, default=TaskSource.MANUAL)
    rule = models.CharField(max_length=60, blank=True)
    source_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due"], name="task_owner_open"),
            models.Index(fields=["status", "due"], name="task_status_due"),
            models.Index(fields=["customer", "status"], name="task_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(source="at_risk", status="open"),
                name="task_one_open_at_risk_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | ~Q(status="open"),
                name="task_open_not_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TaskComment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.task_id}"
