"""The action log behind Undo: one ``ChangeSet`` per thing a person did (a cell edited, a
bulk change, a delete, an interaction logged, a stage move, customers put in a segment), with a
``ChangeRow`` per thing to reverse. How a kind is reversed is ``tenure.bulk.undoable``'s
``REVERSALS``; each record goes back through its own service."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeKind(models.TextChoices):
    """What a change set did, and so what its rows say (reversed as ``REVERSALS`` says):

    - ``edit``, ``bulk``: a row per field changed (``field``, ``before`` -> ``after``);
      ``delete``: a row per record trashed (``trash_item``);
    - ``create``: a row per record made (an interaction logged, its follow-up task), ``after``
      its values as made (``Undoable.compared``): undone by removing it, refused once edited;
    - ``move``: a row per stage move by hand (the ``lifecycle.ManualMove``, ``field`` "stage",
      the stage left -> the stage entered): undone by moving the customer back, by hand;
    - ``membership``: a row per customer put in a static segment (``customers.Customer``,
      ``field`` "segment", ``after`` the segment's id), those already in it not listed: undone
      by taking out those whose stay it opened.
    """

    EDIT = "edit", "Edit"
    BULK = "bulk", "Bulk change"
    DELETE = "delete", "Delete"
    CREATE = "create", "Creation"
    MOVE = "move", "Stage move"
    MEMBERSHIP = "membership", "Segment membership"


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
    """One thing to reverse (its change set's kind says which): a field of one record as the
    action left it (``before`` -> ``after``, JSON values as the history keeps them), a record
    moved to the trash (``trash_item``), a record made, a stage move, a segment stay."""

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
