"""Saved list views in the admin, through the services (the query checked against its list's
filters, the role default kept one per role)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import LimitedModelForm, ScopedAdmin, ServiceDeletes
from tenure.workspace.models import SavedView
from tenure.workspace.services import (
    querystring_validated,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)


class SavedViewForm(LimitedModelForm):
    class Meta:
        model = SavedView
        fields = ("list", "name", "querystring", "shared", "default_for_role")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        list_name = cleaned.get("list") or getattr(self.instance, "list", "")
        if list_name and "querystring" in cleaned:
            try:
                cleaned["querystring"] = querystring_validated(
                    list_name=list_name, querystring=cleaned["querystring"]
                )
            except ValidationError as error:
                self.add_error("querystring", error.message_dict["querystring"])
        return cleaned


@admin.register(SavedView)
class SavedViewAdmin(ServiceDeletes, ScopedAdmin):
    form = SavedViewForm
    list_display = ("name", "list", "owner", "shared", "default_for_role", "updated_at")
    list_filter = ("list", "shared", "default_for_role")
    search_fields = ("name",)
    readonly_fields = ("owner", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # A view belongs to its list: its query was checked against that list's filters.
        return (*self.readonly_fields, "list") if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: SavedView, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in SavedViewForm.Meta.fields
                if name in form.cleaned_data}  # fmt: skip
        if change:
            changes = {name: data[name] for name in form.changed_data if name != "list"}
            saved = saved_view_update(by=request.user, view_id=obj.pk, changes=changes)  # type: ignore[arg-type]
        else:
            data["list_name"] = data.pop("list")
            saved = saved_view_create(by=request.user, **data)  # type: ignore[arg-type]
        obj.pk, obj.owner_id = saved.pk, saved.owner_id

    def record_delete(self, request: HttpRequest, obj: SavedView) -> None:
        saved_view_delete(by=request.user, view_id=obj.pk)  # type: ignore[arg-type]
