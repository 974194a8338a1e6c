"""The conversation with a customer: calls, meetings, emails, notes, complaints and tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Account, Contact, Customer


class InteractionKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    NOTE = "note", "Note"
    COMPLAINT = "complaint", "Complaint"
    TICKET = "ticket", "Support ticket"


# Complaints and tickets are cases: they are open until someone resolves them.
CASE_KINDS = (InteractionKind.COMPLAINT, InteractionKind.TICKET)


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"


class Interaction(models.Model):
    """One entry of a customer's (or an account's) history."""

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    kind = models.CharField(max_length=12, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=CaseStatus.choices, blank=True)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer"),
            models.Index(fields=["account", "occurred_at"], name="interaction_account"),
            models.Index(fields=["kind", "status"], name="interaction_kind_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(account__isnull=False),
                name="interaction_has_customer_or_account",
            ),
            # A case always has a status; other kinds never do.
            models.CheckConstraint(
                condition=(Q(kind__in=CASE_KINDS) & ~Q(status=""))
                | (~Q(kind__in=CASE_KINDS) & Q(status="")),
                name="interaction_status_only_for_cases",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(status=CaseStatus.RESOLVED),
                name="interaction_resolved_at_needs_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"

    @property
    def is_case(self) -> bool:
        return self.kind in CASE_KINDS
