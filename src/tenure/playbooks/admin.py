"""The back office for playbooks: definitions are edited through the services (the same
checks as the API and the pages); enrolments and step runs are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import LimitedModelForm, ScopedAdmin
from tenure.playbooks import services
from tenure.playbooks.models import Enrollment, Playbook, StepRun


class PlaybookForm(LimitedModelForm):
    class Meta:
        model = Playbook
        fields = ("definition",)

    def clean_definition(self) -> Any:
        data = self.cleaned_data["definition"]
        try:
            services.definition_check(data)
        except ValidationError as error:
            raise ValidationError(
                [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
            ) from error
        return data


@admin.register(Playbook)
class PlaybookAdmin(ScopedAdmin):
    form = PlaybookForm
    list_display = ("name", "slug", "enabled", "priority", "builtin", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("name", "slug")

    def save_model(self, request: HttpRequest, obj: Playbook, form: Any, change: bool) -> None:
        data = form.cleaned_data["definition"]
        if change:
            saved = services.playbook_update(by=request.user, playbook_id=obj.pk, data=data)  # type: ignore[arg-type]
        else:
            saved = services.playbook_create(by=request.user, data=data)  # type: ignore[arg-type]
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class _ReadOnly(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(_ReadOnly):
    list_display = ("playbook", "customer", "occurrence", "status", "step", "next_at", "reason")
    list_filter = ("status", "playbook")
    search_fields = ("customer__external_id",)
    list_select_related = ("playbook", "customer")
    show_full_result_count = False


@admin.register(StepRun)
class StepRunAdmin(_ReadOnly):
    list_display = ("enrollment", "step", "kind", "status", "at", "detail")
    list_filter = ("status", "kind")
    show_full_result_count = False
