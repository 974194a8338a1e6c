from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from tenure.access.admin import AdministerOnlyAdmin
from tenure.users.models import ApiToken, Role, User
from tenure.users.services import NO_ADMIN_LEFT, api_token_revoke, team_rules_problems


class _TeamRules:
    """The team's rules on the admin's user forms, as on the Team page and the API: an email
    no other member has (in any case), at least one active admin."""

    instance: User

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()  # type: ignore[misc]
        user = self.instance if self.instance.pk else None
        before = User.objects.filter(pk=user.pk).first() if user is not None else None
        problems = team_rules_problems(
            user=before,
            email=str(data.get("email") or ""),
            role=str(data.get("role", getattr(before, "role", Role.MANAGER))),
            active=bool(data.get("is_active", True)),
        )
        for field, words in problems.items():
            self.add_error(field if field in data else None, words)  # type: ignore[attr-defined]
        return data


class TeamChangeForm(_TeamRules, UserChangeForm):
    pass


class TeamCreationForm(_TeamRules, AdminUserCreationForm):
    pass


def _active_admins_left(removed: list[int]) -> bool:
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk__in=removed)
    return admins.exists()


@admin.register(User)
class UserAdmin(AdministerOnlyAdmin, DjangoUserAdmin):
    form = TeamChangeForm
    add_form = TeamCreationForm
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Tenure", {"fields": ("role",)}))  # type: ignore[misc]
    # The email asked at once, so the rule that no two members share one holds from the start.
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (
            "username", "email", "usable_password", "password1", "password2",
        )}),
    )  # fmt: skip

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not _active_admins_left([obj.pk]):
            return False  # the last active admin: nobody could manage the team after
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if not _active_admins_left(list(queryset.values_list("pk", flat=True))):
            self.message_user(request, f"Nothing was deleted: {NO_ADMIN_LEFT}.", messages.ERROR)
            return
        super().delete_queryset(request, queryset)


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
