"""The back office for the lifecycle: tasks are edited here like any record; stages,
transitions and definitions are read-only (the engine and ``definition_save`` write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin, ScopedAdmin
from tenure.lifecycle.models import (
    CustomerStage,
    LifecycleDefinition,
    ManualMove,
    StageTransition,
)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CustomerStage)
class CustomerStageAdmin(_ReadOnly, ScopedAdmin):
    list_display = ("customer", "stage", "entered_at", "rule")
    list_filter = ("stage",)
    search_fields = ("customer__external_id",)
    list_select_related = ("customer",)
    show_full_result_count = False


@admin.register(StageTransition)
class StageTransitionAdmin(_ReadOnly, ScopedAdmin):
    list_display = (
        "customer", "from_stage", "to_stage", "rule", "cause", "effective_at", "recorded_at",
        "superseded_at",
    )  # fmt: skip
    list_filter = ("to_stage", "cause")
    search_fields = ("customer__external_id",)
    list_select_related = ("customer",)
    show_full_result_count = False


@admin.register(ManualMove)
class ManualMoveAdmin(_ReadOnly, ScopedAdmin):
    """Moves by hand are events of a history: made on the board, the API or ``tenure lifecycle
    move`` (one service, which replays the customer), read here."""

    list_display = ("customer", "stage", "at", "by", "reason")
    list_filter = ("stage",)
    search_fields = ("customer__external_id",)
    list_select_related = ("customer", "by")
    show_full_result_count = False


@admin.register(LifecycleDefinition)
class LifecycleDefinitionAdmin(_ReadOnly, AdministerOnlyAdmin):
    list_display = ("version", "name", "preset", "is_active", "created_at", "created_by")
