"""The action log behind Undo: one ``ChangeSet`` per thing a person did (a cell edited, a
bulk change, a delete), with each field it changed, before and after (``ChangeRow``), or the
trash item a delete made. Undo puts the before-values back through the services."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeKind(models.TextChoices):
    EDIT = "edit", "Edit"
    BULK = "bulk", "Bulk change"
    DELETE = "delete", "Delete"


class ChangeSet(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    label = models.CharField(max_length=300, help_text="what was done, in words")
    created_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label


class ChangeRow(models.Model):
    """One field of one record as the action left it (``before`` -> ``after``, JSON values as
    the history keeps them), or one record the action moved to the trash (``trash_item``)."""

    change_set = models.ForeignKey(ChangeSet, on_delete=models.CASCADE, related_name="rows")
    model = models.CharField(max_length=60, help_text="customers.Customer, customers.Account")
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=60, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    trash_item = models.ForeignKey(
        "history.TrashItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["model", "object_id"], name="bulk_row_record")]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} {self.field}"
