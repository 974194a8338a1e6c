"""Segments in the database: saved dynamic filters over customers and who is in them.

A dynamic ``Segment`` keeps its definition as JSON (``tenure.domain.segments``: one condition
of the lifecycle rule grammar over the facts registry); a static one has none, its members are
added and removed (by hand, the API, or a playbook's step) and stay until removed.
``SegmentMembership`` is one stay of a customer in a segment, ``entered_at`` to ``left_at``
(None while they are in it); a database constraint allows one open stay per customer and
segment, so two writers can never both put a customer in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Customer


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic: who meets the definition"
    STATIC = "static", "Static: added and removed by hand or by playbooks"


class Segment(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    kind = models.CharField(max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    definition = models.JSONField(
        blank=True,
        help_text='the definition as validated: {"when": <condition>}; {} for a static segment',
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    shared = models.BooleanField(
        default=True, help_text="the whole team sees it (else its owner and those who see all)"
    )
    members_count = models.IntegerField(default=0, help_text="members at the latest refresh")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SegmentKind.values), name="segment_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMembership(models.Model):
    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="segment_memberships"
    )
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["segment", "customer", "entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "customer"],
                condition=Q(left_at__isnull=True),
                name="segment_one_open_stay",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("entered_at")),
                name="segment_left_after_entered",
            ),
        ]
        indexes = [models.Index(fields=["customer", "left_at"], name="segment_stays_of_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"


class RfmCutoffs(models.Model):
    """The whole base's RFM quintile cut-offs as of ``computed_at`` (``tenure.analytics.rfm``:
    ``quantile_cutoffs``), stored by the nightly refresh so that one customer's RFM group is
    scored against the base without reading it: recency as the last order's moment (epoch
    seconds), frequency as completed orders, monetary as the mean order value; four each."""

    computed_at = models.DateTimeField()
    buyers = models.IntegerField()
    recency = models.JSONField()
    frequency = models.JSONField()
    monetary = models.JSONField()

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"RFM cut-offs of {self.buyers} buyers at {self.computed_at}"
