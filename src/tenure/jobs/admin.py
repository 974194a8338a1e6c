"""The back office for background runs: a read-only record, for admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin
from tenure.jobs.models import Run


@admin.register(Run)
class RunAdmin(AdministerOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "progress_note",
        "attempts",
        "requested_by",
        "created_at",
        "heartbeat_at",
        "finished_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("requested_by",)
    readonly_fields = [field.name for field in Run._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a run starts from the page, the API or the schedule that does the work

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
