"""The demo's hidden truth in the back office: read-only, for checking what analytics find."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tenure.demo.models import DemoLoad, DemoTruth


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DemoTruth)
class DemoTruthAdmin(_ReadOnly):
    list_display = ("customer", "purchases_per_year", "dropout_probability", "dropped_out_at")
    list_select_related = ("customer",)
    list_filter = (("dropped_out_at", admin.EmptyFieldListFilter),)
    search_fields = ("customer__external_id", "customer__last_name", "customer__email")
    ordering = ("customer__external_id",)
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(DemoLoad)
class DemoLoadAdmin(_ReadOnly):
    list_display = ("seed", "loaded_at", "customers", "orders")
