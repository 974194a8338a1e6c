"""The delivery log in the admin: endpoints and their deliveries, admins only. Endpoints are
made through the API (``POST /api/v1/webhooks``), which shows the secret once; the admin never
shows it, and deletes one through ``endpoint_delete``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin, ScopedAdmin, ServiceDeletes
from tenure.webhooks.models import Delivery, Endpoint
from tenure.webhooks.services import deliveries_send_again, endpoint_delete


class _AdminsOnly(AdministerOnlyAdmin, ScopedAdmin):
    """The scoped admin's rows and form, open to admins only."""

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False


@admin.register(Endpoint)
class EndpointAdmin(ServiceDeletes, _AdminsOnly):
    list_display = ("url", "description", "kinds", "active", "created_by", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description")
    fields = ("url", "description", "kinds", "active", "created_by", "created_at")
    readonly_fields = ("url", "kinds", "created_by", "created_at")  # the secret: never shown
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Endpoint) -> None:
        endpoint_delete(by=request.user, endpoint_id=obj.pk)


@admin.register(Delivery)
class DeliveryAdmin(_AdminsOnly):
    list_display = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "response_ms",
        "next_try_at",
        "delivered_at",
    )
    list_filter = ("status", "endpoint")
    list_select_related = ("event", "endpoint")
    search_fields = ("event__key",)
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ["send_again"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a log: read, and sent again by the action

    @admin.action(description="Send the selected failed deliveries again now")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_send_again(
            by=request.user, delivery_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{count} failed delivery(ies) will be sent again now.")
