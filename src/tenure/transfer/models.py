"""Imports started from the web page run in the background (a ``tenure.jobs`` run of kind
``transfer.import``); this is their progress record, which the pages and the API read."""

from __future__ import annotations

from django.conf import settings
from django.db import models

IMPORT_RUN = "transfer.import"


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    ORDERS = "orders", "Orders"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportSource(models.Model):
    """A named place files come from ("Shopify export") and the column mapping last chosen for
    it, so the next file from it (by name, or by the same header) arrives mapped."""

    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    name = models.CharField(max_length=100)
    header = models.JSONField(default=list, help_text="the columns of its latest file")
    column_map = models.JSONField(default=dict, help_text="file column -> field")
    ignored_columns = models.JSONField(
        default=list, help_text="columns not kept as custom attributes"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="transfer_source_kind_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportUpload(models.Model):
    """A file uploaded to the import wizard, kept under the data directory before and after its
    import (mapped, previewed, run), so a mistake found later can be checked against it."""

    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(default=0)
    header = models.JSONField(default=list)
    source = models.ForeignKey(
        ImportSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    column_map = models.JSONField(default=dict, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    mapped = models.BooleanField(default=False, help_text="a person chose the mapping")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class ImportJob(models.Model):
    """What an import read and stored. Its ``status``, ``error``, ``started_at`` and
    ``finished_at`` follow its run's (``tenure.transfer.tasks.import_follow``), written in the
    same transaction as the run's: the run decides them (claim, heartbeat, dead-run sweep)."""

    run = models.OneToOneField("jobs.Run", on_delete=models.CASCADE, related_name="import_job")
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255, help_text="the name of the uploaded file")
    path = models.CharField(max_length=500, help_text="where the upload is stored")
    column_map = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejects = models.JSONField(
        default=list, blank=True, help_text="the first rejected rows: line, column, reason"
    )
    error = models.TextField(blank=True)
    upload = models.OneToOneField(
        ImportUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="job"
    )
    ignored_columns = models.JSONField(default=list, blank=True)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rejects_path = models.CharField(
        max_length=500, blank=True, help_text="the rejected rows as CSV, with an error column"
    )
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revert_report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.file_name}"

    @property
    def percent_done(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_done / self.bytes_total))
