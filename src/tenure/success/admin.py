from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.success.appreciation import appreciation_delete
from tenure.success.models import (
    Appreciation,
    ChecklistStep,
    ChecklistTemplate,
    Goal,
    Milestone,
    Onboarding,
    SuccessPlan,
)


class ChecklistStepInline(admin.TabularInline):
    model = ChecklistStep
    extra = 0
    raw_id_fields = ("member",)


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ScopedAdmin):
    """Read here; written by ``tenure.success.checklists`` only (the onboarding pages and the
    API): it checks each step's owner rule and the first-value step, which a template saved
    here would skip, and an onboarding started from it would then fail."""

    list_display = ("name", "applies_to", "active")
    inlines = [ChecklistStepInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Onboarding)
class OnboardingAdmin(ScopedAdmin):
    list_display = ("key", "template", "account", "customer", "started_at")
    raw_id_fields = ("account", "customer", "started_by")
    readonly_fields = ("key", "started_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # started by ``onboarding_start`` only: it opens the step tasks


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    raw_id_fields = ("owner",)


@admin.register(SuccessPlan)
class SuccessPlanAdmin(ScopedAdmin):
    list_display = ("title", "account", "status", "next_review")
    list_filter = ("status",)
    raw_id_fields = ("account",)
    inlines = [GoalInline]


@admin.register(Milestone)
class MilestoneAdmin(ScopedAdmin):
    list_display = ("title", "goal", "due", "done_at")
    raw_id_fields = ("goal",)


@admin.register(Appreciation)
class AppreciationAdmin(ServiceDeletes, ScopedAdmin):
    """Read and deleted here; recorded on the account's page, the API or by a playbook."""

    list_display = ("given_on", "account", "kind", "cost", "currency", "given_by")
    list_filter = ("kind",)
    list_select_related = ("account", "given_by")
    raw_id_fields = ("account", "contact", "customer", "given_by")
    readonly_fields = ("created_at", "key")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # recorded by ``appreciation_record`` only: its event, its key

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        appreciation_delete(by=request.user, appreciation_id=obj.pk)  # type: ignore[arg-type]
