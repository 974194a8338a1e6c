"""Agency metrics in the back office: read-only. They are written by the import (CLI, API),
which checks every row and records the batch's events; a correction is a new import."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin
from tenure.reports.models import AccountMetric


@admin.register(AccountMetric)
class AccountMetricAdmin(ScopedAdmin):
    list_display = ("account", "metric", "month", "value", "updated_at")
    list_filter = ("metric",)
    search_fields = ("account__name", "metric")
    raw_id_fields = ("account", "updated_by")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
