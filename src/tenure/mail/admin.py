"""Email in the admin: the ledger read-only (a message's fate is the sender's to write), the
templates written and deleted through the services (parsed in the sandbox first), the suppression
list (an address let go through ``suppression_remove``), broadcasts made and steered through
their services (a started one is read-only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.domain.errors import Conflict
from tenure.mail import broadcasts, services
from tenure.mail.models import (
    Broadcast,
    BroadcastStatus,
    Message,
    Suppression,
    SuppressionReason,
    Template,
)


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
class TemplateAdmin(ServiceDeletes, ScopedAdmin):
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

    def record_delete(self, request: HttpRequest, obj: Template) -> None:
        user: Any = request.user
        services.template_delete(by=user, template_id=obj.pk)


@admin.register(Suppression)
class SuppressionAdmin(ServiceDeletes, ScopedAdmin):
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

    def record_delete(self, request: HttpRequest, obj: Suppression) -> None:
        user: Any = request.user
        services.suppression_remove(by=user, address=obj.address)


def _each(
    request: HttpRequest, chosen: QuerySet[Broadcast], action: Callable[..., Any], **extra: Any
) -> None:
    user: Any = request.user
    done = 0
    for broadcast in chosen:
        try:
            action(by=user, broadcast_id=broadcast.pk, now=timezone.now(), **extra)
            done += 1
        except (Conflict, ValidationError) as error:
            messages.error(request, f"{broadcast.name}: {error}")
    if done:
        messages.success(request, f"{done} broadcast(s) done.")


@admin.register(Broadcast)
class BroadcastAdmin(ScopedAdmin):
    list_display = ("name", "segment", "template", "status", "scheduled_at", "audience")
    list_filter = ("status",)
    search_fields = ("name",)
    fields = ("name", "segment", "template", "priority", "valid_days", "status", "reason")
    readonly_fields = ("status", "reason")
    actions = ["send_now", "pause", "resume", "cancel"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        editable = obj is None or obj.status in broadcasts.EDITABLE
        return editable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its messages are named by its id: cancel it instead

    def save_model(self, request: HttpRequest, obj: Broadcast, form: Any, change: bool) -> None:
        values = {
            "name": obj.name,
            "segment_id": obj.segment_id,
            "template_id": obj.template_id,
            "priority": obj.priority,
            "valid_days": obj.valid_days,
        }
        user: Any = request.user
        if change:
            saved = broadcasts.broadcast_update(by=user, broadcast_id=obj.pk, changes=values)
        else:
            saved = broadcasts.broadcast_create(by=user, **values)
        obj.pk = saved.pk

    @admin.action(description="Send now (the worker starts it within a second)")
    def send_now(self, request: HttpRequest, chosen: QuerySet[Broadcast]) -> None:
        _each(request, chosen, broadcasts.broadcast_schedule, at=None)

    @admin.action(description="Pause")
    def pause(self, request: HttpRequest, chosen: QuerySet[Broadcast]) -> None:
        _each(request, chosen.filter(status=BroadcastStatus.SENDING), broadcasts.broadcast_pause)

    @admin.action(description="Resume")
    def resume(self, request: HttpRequest, chosen: QuerySet[Broadcast]) -> None:
        _each(request, chosen.filter(status=BroadcastStatus.PAUSED), broadcasts.broadcast_resume)

    @admin.action(description="Cancel (unsent messages expire)")
    def cancel(self, request: HttpRequest, chosen: QuerySet[Broadcast]) -> None:
        _each(request, chosen, broadcasts.broadcast_cancel, reason="cancelled in the admin")
