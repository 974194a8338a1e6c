"""The back office for imports: a read-only record of what each web-started import did."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tenure.transfer.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "file_name",
        "kind",
        "status",
        "rows_read",
        "rows_stored",
        "rows_rejected",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind")  # the run's, copied with each of its changes
    search_fields = ("file_name",)
    list_select_related = ("created_by",)
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an import starts from the import page, which queues it for the worker

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
