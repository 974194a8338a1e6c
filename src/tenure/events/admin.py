"""The back office for events: the events (read-only) and how far each consumer got, with its
error in words when it is stuck; admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin
from tenure.events.models import ConsumerPosition, Event


class _ReadOnly(AdministerOnlyAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # events are written by the changes they report

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(_ReadOnly):
    list_display = (
        "id",
        "kind",
        "customer_id",
        "subject",
        "subject_id",
        "at",
        "via",
        "recorded_at",
    )
    list_filter = ("kind", "via")
    search_fields = ("=key", "=customer_id")
    show_full_result_count = False
    readonly_fields = [field.name for field in Event._meta.fields]


@admin.register(ConsumerPosition)
class ConsumerPositionAdmin(_ReadOnly):
    list_display = ("name", "event_id", "handled", "failures", "retry_at", "updated_at", "error")
    readonly_fields = [field.name for field in ConsumerPosition._meta.fields]
