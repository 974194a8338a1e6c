"""Themes of what customers write, kept across runs so that people can curate them.

A run (``tasks.py``) finds themes in every registered text (``sources.py``) and matches them to
the stored ones (``tenure.analytics.theme_matching``), so a theme keeps its id, its name when a
person renamed it, its tags and its answers from one run to the next. A theme merged into
another stays as a pointer to its survivor (``merged_into``): a later run that finds its topic
again sends its answers there.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from tenure.customers.models import Account, Customer


class ThemeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    HIDDEN = "hidden", "Hidden"
    MERGED = "merged", "Merged"


class ThemeTag(models.Model):
    """A word people put on themes ("product", "Q3 review"): one row per tag, so themes are
    found by tag with a join on both databases."""

    name = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    label = models.CharField(max_length=120, help_text="its name: its top words until renamed")
    terms = models.JSONField(default=list, blank=True, help_text="its top words, most first")
    words = models.JSONField(
        default=dict, blank=True, help_text="word -> weight at the last run that saw it"
    )
    tags = models.ManyToManyField(ThemeTag, blank=True, related_name="themes")
    status = models.CharField(
        max_length=10, choices=ThemeStatus.choices, default=ThemeStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text="the theme its answers go to, once merged",
    )
    renamed_by_person = models.BooleanField(
        default=False, help_text="a run never overwrites a name a person gave"
    )
    seen_in_last_run = models.BooleanField(default=True)
    last_seen_run = models.ForeignKey(
        "jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ThemeStatus.values), name="theme_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=ThemeStatus.MERGED) & Q(merged_into__isnull=False))
                | (~Q(status=ThemeStatus.MERGED) & Q(merged_into__isnull=True)),
                name="theme_merged_has_survivor",
                violation_error_message="A merged theme names the theme it was merged into.",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="theme_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ThemeAssignment(models.Model):
    """A text read by the latest run that saw it, and the theme it belongs to (None: the run
    placed it in no theme). One per text: ``(source, source_id)`` is unique."""

    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    source = models.CharField(max_length=40, help_text="the text source's name (sources.py)")
    source_id = models.BigIntegerField(help_text="the text's record in its source")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(help_text="when the text was written")
    weight = models.FloatField(default=0.0, help_text="how typical of its theme, 0-1")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["theme", "at"], name="theme_assignment_theme_at"),
            models.Index(fields=["at"], name="theme_assignment_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="theme_assignment_once"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="theme_assignment_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} -> {self.theme_id}"
