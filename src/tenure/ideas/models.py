"""The ideas board: customers' suggestions, the customers who asked for each, its status.

The "votes" are the customers who asked, one per customer (``idea_request_once``); an idea is
weighed by how many asked and what they are worth (their cached revenue, their predicted CLV).
An idea merged into another keeps pointing to it (``merged_into``), its requests moved there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tenure.customers.models import Contact, Customer
from tenure.feedback.models import SurveyResponse
from tenure.interactions.models import Interaction


class IdeaStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


class RequestSource(models.TextChoices):
    INTERACTION = "interaction", "A conversation"
    SURVEY_ANSWER = "survey_answer", "A survey answer"
    MANUAL = "manual", "By hand"


class Idea(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    status = models.CharField(
        max_length=20, choices=IdeaStatus.choices, default=IdeaStatus.UNDER_REVIEW
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="ideas",
    )  # fmt: skip
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="idea_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IdeaStatus.values), name="idea_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("id")),
                name="idea_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IdeaRequest(models.Model):
    """A customer asked for the idea: once per customer, with what they said and where."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="requests")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="idea_requests")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="idea_requests"
    )
    note = models.TextField(blank=True, max_length=2000, help_text="what they said")
    source = models.CharField(
        max_length=20, choices=RequestSource.choices, default=RequestSource.MANUAL
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    survey_response = models.ForeignKey(
        SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["idea", "customer"], name="idea_request_once"),
            models.CheckConstraint(
                condition=Q(source__in=RequestSource.values), name="idea_request_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} asked for {self.idea_id}"
