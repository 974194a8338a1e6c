"""Notifications, the digests sent, and what a success manager put aside on "My day"."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenure.customers.models import Account, Customer


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentioned you"
    TASK_ASSIGNED = "task_assigned", "Task for you"
    HEALTH_RED = "health_red", "Health turned red"
    RENEWAL_COMING = "renewal_coming", "Renewal coming"


class Notification(models.Model):
    """One thing for one team member to look at. ``key`` claims it once: the event's key and
    the recipient, so a batch of events handled twice notifies once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True, help_text="the page it is about")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox")
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="notification_key_unique")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text}"


class DigestSent(models.Model):
    """The day's digest of one team member, claimed before it is sent: one per person per day."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    notifications = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_once_per_day")
        ]

    def __str__(self) -> str:
        return f"digest of {self.recipient_id} on {self.day}"


class WorklistSnooze(models.Model):
    """A customer put aside on someone's "My day" until a date (done: until tomorrow)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    until = models.DateField(help_text="back on the list on this day")
    done = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="worklist_snooze_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} aside for {self.user_id} until {self.until}"


class AccountWorklistSnooze(models.Model):
    """An account put aside on someone's "My day" until a date (done: until tomorrow); a sibling
    of ``WorklistSnooze`` so each row keeps a required key and its own uniqueness."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    until = models.DateField(help_text="back on the list on this day")
    done = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="account_worklist_snooze_once")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} aside for {self.user_id} until {self.until}"
