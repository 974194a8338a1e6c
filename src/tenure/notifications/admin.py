from django.contrib import admin

from tenure.notifications.models import DigestSent, Notification, WorklistSnooze


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    readonly_fields = ("recipient", "kind", "text", "url", "customer", "key", "created_at")


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ("recipient", "day", "notifications", "sent_at")


@admin.register(WorklistSnooze)
class WorklistSnoozeAdmin(admin.ModelAdmin):
    list_display = ("user", "customer", "until", "done")
