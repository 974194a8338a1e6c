"""What a bulk write created, recorded once per run of ids rather than once per record.

An import creates records by the hundred thousand; writing django-auditlog's entry for each
(ten indexes a row) doubled the time of a million-order import. A record's creation entry is
instead one ``BulkCreation`` row per run of consecutive ids the batch created: who, when,
which import, and which fields it set. The values it set are read back when the history is
read (``tenure.history.selectors``): each field's value before its first later change, or its
value now when it never changed since, every later change being an entry of its own.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class BulkCreation(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    first_id = models.BigIntegerField(help_text="the first id of the run of records created")
    last_id = models.BigIntegerField(help_text="the last id of the run (included)")
    fields = models.JSONField(help_text="the fields the write set, as the history names them")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="who made the write (empty: the operator at the command line)",
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, help_text="what the write was part of (the import)")

    class Meta:
        # Runs do not overlap (an id is created once): the run holding an id is found by
        # reading this index back from the id, the first run read being it.
        indexes = [models.Index(fields=["content_type", "first_id"], name="history_bulk_first")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_id__lte=models.F("last_id")),
                name="history_bulk_run_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.first_id}..{self.last_id}"


class TrashItem(models.Model):
    """A deleted record (a customer, an account, a contact, a subscription, an order) kept 30
    days: its row and every row that went with it (Django's ``Collector``: subscriptions,
    consents, interactions, stages, team links, an order's lines, ...)
    serialized in deletion order, and the rows whose reference to it was cleared (an
    account's customers), so a restore brings back the same rows with the same ids."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    label = models.CharField(max_length=300, help_text="what it was, for the trash page")
    rows = models.JSONField(help_text="Django's JSON serialization, deletion order")
    cleared = models.JSONField(
        default=list, help_text="[model label, field, [ids]] whose reference was set to null"
    )
    counts = models.JSONField(default=dict, help_text="rows kept per model, for the page")
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty: the operator at the command line",
    )
    deleted_at = models.DateTimeField(db_index=True)
    owner_id = models.BigIntegerField(
        null=True, blank=True, help_text="the record's owner when deleted: its book"
    )

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"trash {self.label}"
