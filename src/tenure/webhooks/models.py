"""Webhooks: endpoints that follow tenure's events, and one delivery per event and endpoint.

An ``Endpoint`` receives the events recorded after it was made (``start_tx``/``start_event_id``:
the events' position then), of the kinds it subscribes to (none listed: every kind). A
``Delivery`` is made for each such event by the consumer ``webhooks.deliveries`` in the
transaction that advances its position (so exactly one per endpoint and event, held by a unique
constraint), then sent, retried and logged by the sender (``tenure.webhooks.sending``).

The secret signs each request, so it is stored as it is (a hash could not sign); it is shown
once, when the endpoint is made, and never again: not in the admin, the API's reads, the change
history (endpoints are not tracked) or ``__str__``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Endpoint(models.Model):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(
        default=list, blank=True, help_text="the event kinds sent; empty: every kind"
    )
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Where the events stood when the endpoint was made: it receives the events after.
    start_tx = models.BigIntegerField(default=0, editable=False)
    start_event_id = models.BigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:  # never the secret
        return f"<Endpoint {self.pk} {self.url}>"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed (gave up)"


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    # The event's customer, copied: a customer's deliveries to an endpoint go out in order.
    customer_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="why the last attempt failed, in words")
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhooks_one_per_event"),
        ]
        indexes = [
            # The sender's two questions: which are due, and is an earlier one still pending.
            models.Index(
                fields=["next_try_at"],
                name="webhooks_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["endpoint", "customer_id", "id"],
                name="webhooks_pending_by_customer",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} to endpoint {self.endpoint_id}: {self.status}"
