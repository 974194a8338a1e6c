"""The email ledger: every message a customer is sent, each once by its key; templates; the
addresses that no longer receive mail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from tenure.customers.models import ConsentPurpose, Contact, Customer
from tenure.segments.models import Segment


class MessageKind(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    TRANSACTIONAL = "transactional", "Transactional"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DEFERRED = "deferred", "Deferred"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    SUPPRESSED = "suppressed", "Suppressed"
    UNKNOWN = "unknown", "Unknown (handed to the server, outcome not recorded)"
    HELD = "held", "Held (its broadcast is paused)"


WAITING = (MessageStatus.QUEUED, MessageStatus.DEFERRED)
FINAL = (
    MessageStatus.SENT,
    MessageStatus.FAILED,
    MessageStatus.EXPIRED,
    MessageStatus.SUPPRESSED,
    MessageStatus.UNKNOWN,
)
# What counts against the frequency cap: whatever may have reached the customer.
COUNTED = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.UNKNOWN)

# Marketing topics a message may be about; consent to each is checked when it is sent.
TOPICS = (
    ConsentPurpose.EMAIL_MARKETING,
    ConsentPurpose.NEWSLETTER,
    ConsentPurpose.OFFERS,
    ConsentPurpose.LOYALTY,
)
# What a contact of an account who is no customer is sent: the results report they asked for
# (``Contact.receives_reports`` is their consent to it).
CONTACT_TOPIC = ConsentPurpose.SERVICE_EMAIL


class Template(models.Model):
    """An email that marketers write: subject, HTML and plain text, rendered for one customer
    in Jinja2's sandbox."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="how playbooks and broadcasts name it (welcome-introduction); from the name "
        "when left empty",
    )
    builtin = models.BooleanField(
        default=False, help_text="one of tenure's own, created at migrate if missing"
    )
    kind = models.CharField(
        max_length=20, choices=MessageKind.choices, default=MessageKind.MARKETING
    )
    topic = models.CharField(
        max_length=30,
        choices=ConsentPurpose.choices,
        default=ConsentPurpose.EMAIL_MARKETING,
        help_text="the consent a marketing message needs (transactional mail needs none)",
    )
    subject = models.CharField(max_length=300)
    html = models.TextField(blank=True, max_length=200_000)
    text = models.TextField(max_length=200_000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way in (services, admin, a test's create) gets a slug: playbooks name it so.
        if not self.slug:
            self.slug = self.free_slug(self.name)
        super().save(*args, **kwargs)

    @classmethod
    def free_slug(cls, name: str) -> str:
        """A slug from the name not taken yet (``welcome``, ``welcome-2``, ...)."""
        base = (slugify(name) or "template")[:90]
        taken = set(cls.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug


class Message(models.Model):
    """One email to one customer, or to one contact of an account (a person at a client who is
    no customer: the results report, which they asked for, ``Contact.receives_reports``).
    ``key`` (source, step, recipient, occurrence) is unique: the same key queued twice is the
    same message, so a playbook or broadcast run again, or a job delivered twice, never sends
    twice."""

    key = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=120, help_text="e.g. playbook:7, broadcast:3, manual")
    step = models.CharField(max_length=60, blank=True)
    occurrence = models.CharField(max_length=60, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    template = models.ForeignKey(
        Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    topic = models.CharField(max_length=30, choices=ConsentPurpose.choices, blank=True)
    priority = models.IntegerField(default=0, help_text="higher goes first under the cap")
    # Content when queued without a template (transactional mail made by code).
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(
        default=list, blank=True,
        help_text='files sent with it: [{"filename", "content_type", "data": base64}]',
    )  # fmt: skip
    due_at = models.DateTimeField(help_text="when it was meant to go (orders ties under the cap)")
    next_at = models.DateTimeField(help_text="when the sender looks at it next")
    valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    handed_at = models.DateTimeField(
        null=True, blank=True, help_text="committed just before the SMTP call"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    to_address = models.CharField(max_length=320, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    raw = models.TextField(blank=True, help_text="the message as it was sent, headers included")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_at"], name="message_status_next"),
            models.Index(
                fields=["customer", "kind", "claimed_at"], name="message_customer_claimed"
            ),
            models.Index(fields=["status", "lease_until"], name="message_status_lease"),
            # The customer's timeline walks their messages by due time.
            models.Index(fields=["customer", "due_at"], name="message_customer_due"),
            # A broadcast's log, counts, pause and resume read its messages by source.
            models.Index(fields=["source", "status"], name="message_source_status"),
            models.Index(
                fields=["contact", "due_at"],
                condition=models.Q(contact__isnull=False),
                name="message_contact_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False, contact__isnull=True)
                | models.Q(customer__isnull=True, contact__isnull=False),
                name="message_one_recipient",
                violation_error_message="A message goes to a customer or to a contact.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MessageKind.values), name="message_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    SOFT_BOUNCES = "soft_bounces", "Too many soft bounces"
    MANUAL = "manual", "Added by hand"


class Suppression(models.Model):
    """An address tenure no longer sends to (``suppressed_at`` set), or one with soft bounces
    counted towards it."""

    address = models.CharField(max_length=320, unique=True, help_text="lower case")
    soft_bounces = models.PositiveIntegerField(default=0)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class BroadcastStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Broadcast(models.Model):
    """One template to a segment's members on a date (the newsletter). Started, it snapshots
    the audience into the ledger, one message per member keyed ``broadcast:<id>``, so starting
    again, pausing and resuming never make a second message for anyone."""

    name = models.CharField(max_length=120)
    # SET_NULL, not PROTECT: a segment may go; a broadcast that has not started yet then refuses
    # to (its audience is gone), one that has keeps its ledger rows.
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="broadcasts"
    )
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="broadcasts")
    priority = models.IntegerField(default=0, help_text="higher goes first under the cap")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    valid_days = models.PositiveIntegerField(
        default=3, help_text="days after the scheduled time a message may still go out"
    )
    status = models.CharField(
        max_length=12, choices=BroadcastStatus.choices, default=BroadcastStatus.DRAFT
    )
    reason = models.CharField(max_length=300, blank=True, help_text="why it was cancelled")
    builtin = models.CharField(max_length=40, blank=True, help_text="the built-in it started from")
    audience = models.PositiveIntegerField(
        null=True, blank=True, help_text="members when it started (the messages queued)"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="broadcast_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=BroadcastStatus.values),
                name="broadcast_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return f"broadcast:{self.pk}"
