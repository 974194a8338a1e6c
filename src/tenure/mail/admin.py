"""Email in the admin: the ledger read-only (a message's fate is the sender's to write), the
templates written through the services (parsed in the sandbox first), the suppression list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from tenure.access.admin import ScopedAdmin
from tenure.mail import services
from tenure.mail.models import Message, Suppression, SuppressionReason, Template


@admin.register(Message)
class MessageAdmin(ScopedAdmin):
    list_display = ("key", "customer", "kind", "status", "reason", "due_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "to_address")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Template)
class TemplateAdmin(ScopedAdmin):
    list_display = ("name", "kind", "topic", "subject", "updated_at")
    fields = services.TEMPLATE_FIELDS

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        values = {name: getattr(obj, name) for name in services.TEMPLATE_FIELDS}
        user: Any = request.user
        if change:
            saved = services.template_update(by=user, template_id=obj.pk, changes=values)
        else:
            saved = services.template_create(by=user, **values)
        obj.pk = saved.pk


@admin.register(Suppression)
class SuppressionAdmin(ScopedAdmin):
    list_display = ("address", "reason", "soft_bounces", "suppressed_at", "detail")
    list_filter = ("reason",)
    search_fields = ("address",)
    fields = ("address", "detail")

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        user: Any = request.user
        saved = services.suppression_add(
            by=user,
            address=obj.address,
            reason=SuppressionReason.MANUAL,
            detail=obj.detail,
            now=timezone.now(),
        )
        obj.pk = saved.pk
