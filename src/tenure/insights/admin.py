"""The back office for model fits: a read-only record, for admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin
from tenure.insights.models import ModelFit


@admin.register(ModelFit)
class ModelFitAdmin(AdministerOnlyAdmin):
    list_display = (
        "id",
        "status",
        "observation_end",
        "customers",
        "orders",
        "duration_seconds",
        "started_by",
        "created_at",
        "fitted_at",
    )
    list_filter = ("status",)
    list_select_related = ("started_by",)
    readonly_fields = [field.name for field in ModelFit._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a fit starts from `tenure clv fit`, the page or the nightly job

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the stored predictions point at their fit
