from __future__ import annotations

from django.contrib import admin

from tenure.access.admin import ScopedAdmin
from tenure.todos.models import Task, TaskComment


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    raw_id_fields = ("author",)
    readonly_fields = ("created_at",)


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    list_display = ("title", "owner", "due", "priority", "status", "customer", "source")
    list_filter = ("status", "priority", "source")
    search_fields = ("title", "customer__external_id")
    list_select_related = ("owner", "customer")
    raw_id_fields = ("customer", "account", "interaction", "owner", "created_by")
    readonly_fields = ("created_at", "completed_at", "source_key")
    inlines = [TaskCommentInline]
    show_full_result_count = False
