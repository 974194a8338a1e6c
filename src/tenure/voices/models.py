"""Other voices: what people say outside surveys, kept beside the survey answers.

A ``Voice`` is one comment, review or feedback-form entry with its source (a review site, a
social channel, a feedback form, support, other) and source name ("Trustpilot", "Twitter/X",
a form's title); ``external_id`` is unique per source name, so an import or an API batch sent
twice stores it once. It is matched to a customer by email where one is known, else it stays
unmatched, listed for matching by hand. A rating keeps its scale (4 of 5): it is shown, never
mixed into NPS or CSAT.

A ``FeedbackForm`` is a public page (``/f/<slug>/``, no login) whose answers become voices of
the kind ``feedback_form``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tenure.customers.models import Account, Customer

RATING_SCALE_MAX = 100


class SourceKind(models.TextChoices):
    REVIEW_SITE = "review_site", "Review site"
    SOCIAL = "social", "Social"
    FEEDBACK_FORM = "feedback_form", "Feedback form"
    SUPPORT = "support", "Support"
    OTHER = "other", "Other"


class FeedbackForm(models.Model):
    """A feedback form on a public page: a free-text box and, optionally, a rating."""

    slug = models.SlugField(max_length=60, unique=True, help_text="its address: /f/<slug>/")
    title = models.CharField(max_length=100, help_text="also the source name of its answers")
    intro = models.TextField(blank=True, help_text="shown above the question")
    question = models.CharField(max_length=300, default="What would you like to tell us?")
    rating_question = models.CharField(
        max_length=300, blank=True, help_text="ask for a rating too (empty: no rating)"
    )
    rating_scale = models.PositiveSmallIntegerField(default=5, help_text="the highest rating")
    ask_email = models.BooleanField(
        default=True, help_text="ask for an email (optional for the visitor)"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_scale__gte=2) & Q(rating_scale__lte=10),
                name="feedback_form_rating_scale",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Voice(models.Model):
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    source_name = models.CharField(max_length=100)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="the source's id: unique per source name"
    )
    url = models.URLField(max_length=500, blank=True, help_text="http or https only")
    author = models.CharField(max_length=200, blank=True, help_text="a name or a handle")
    author_email = models.EmailField(blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="voices"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="voices"
    )
    form = models.ForeignKey(
        FeedbackForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="voices"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_scale = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the highest rating of the source's scale (5: 4 of 5)"
    )
    text = models.TextField()
    language = models.CharField(max_length=10, blank=True)
    published_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["published_at"], name="voice_published_at"),
            models.Index(fields=["customer", "published_at"], name="voice_customer_at"),
            models.Index(fields=["source_name", "published_at"], name="voice_source_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_name", "external_id"],
                condition=~Q(external_id=""),
                name="voice_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(source_kind__in=SourceKind.values), name="voice_source_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(rating__isnull=True) & Q(rating_scale__isnull=True))
                | (
                    Q(rating_scale__gte=1)
                    & Q(rating_scale__lte=RATING_SCALE_MAX)
                    & Q(rating__gte=0)
                    & Q(rating__lte=F("rating_scale"))
                ),
                name="voice_rating_on_scale",
                violation_error_message="A rating is 0 to its scale's highest (1 to 100), "
                "given with its scale.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name}: {self.text[:60]}"

    @property
    def matched(self) -> bool:
        return self.customer_id is not None
