"""Domain events as rows: what happened to whom, written in the transaction of the change.

An event is written by the same transaction as the change it reports (a service's save, an
admin's, an import's batch), so there is never a change without its event or an event of a
change that was rolled back. Readers (the consumers the worker runs, the API's
``/api/v1/events``, webhooks) take events in their ``(tx, id)`` order, see
``tenure.events.reading``.

Events name records by id and fields by name; they carry no personal data (no names, emails
or free text), so a person's erasure has nothing to remove here.
"""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    # On PostgreSQL the column's default is txid_current() (migration 0001, by SQL: Django knows
    # no such default), the id of the transaction that wrote the event; readers use it to never
    # pass an event a transaction still running may commit. SQLite has one writer at a time, so
    # ids are committed in order there and tx stays 0.
    tx = models.BigIntegerField(db_default=0, editable=False)
    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=200, help_text="the same key is the same event: effects once")
    customer_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=40, help_text="what the event is about: order, ...")
    subject_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(help_text="when it took effect in the customer's history")
    recorded_at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20, help_text="api, web, admin, import, cli, worker, ...")
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="the user, if any")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tx", "id"], name="events_order"),
            models.Index(fields=["customer_id", "id"], name="events_customer"),
        ]
        # A constraint, not unique=True: the field's unique would add PostgreSQL a second,
        # varchar_pattern_ops index on the key that no query uses and every write pays for.
        constraints = [models.UniqueConstraint(fields=["key"], name="events_key_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.subject_id}"


class ConsumerPosition(models.Model):
    """How far one consumer got: the last event it handled, and why it is stuck if it is."""

    name = models.CharField(max_length=100, unique=True)
    tx = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    handled = models.BigIntegerField(default=0, help_text="events handled, ever")
    updated_at = models.DateTimeField(auto_now=True)
    failures = models.IntegerField(default=0, help_text="failed attempts in a row")
    error = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.tx}/{self.event_id}"
