"""Notifications, digests and snoozes are each person's own: admins only in the back office
(a manager reads their own through the pages)."""

from django.contrib import admin

from tenure.access.admin import AdministerOnlyAdmin
from tenure.notifications.models import (
    AccountWorklistSnooze,
    DigestSent,
    Notification,
    WorklistSnooze,
)


@admin.register(Notification)
class NotificationAdmin(AdministerOnlyAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "customer")
    show_full_result_count = False


@admin.register(DigestSent)
class DigestSentAdmin(AdministerOnlyAdmin):
    list_display = ("recipient", "day", "notifications", "sent_at")
    raw_id_fields = ("recipient",)
    show_full_result_count = False


@admin.register(WorklistSnooze)
class WorklistSnoozeAdmin(AdministerOnlyAdmin):
    list_display = ("user", "customer", "until", "done")
    raw_id_fields = ("user", "customer")
    show_full_result_count = False


@admin.register(AccountWorklistSnooze)
class AccountWorklistSnoozeAdmin(AdministerOnlyAdmin):
    list_display = ("user", "account", "until", "done")
    raw_id_fields = ("user", "account")
    show_full_result_count = False
