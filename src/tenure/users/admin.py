from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin
from tenure.users.models import ApiToken, User
from tenure.users.services import api_token_revoke


@admin.register(User)
class UserAdmin(AdministerOnlyAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Tenure", {"fields": ("role",)}))  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(AdministerOnlyAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("user", "prefix", "digest", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", *readonly_fields[1:])
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False  # a token is shown once, at creation: create them with `tenure token create`

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
