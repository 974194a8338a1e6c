"""The segments in the admin, through the services: a save validates the definition and
refreshes the members with their events, a delete lets the members leave first, as the
pages, the API and the CLI do."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import LimitedModelForm, ScopedAdmin, ServiceDeletes
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import (
    definition_validated,
    segment_create,
    segment_delete,
    segment_update,
)


class SegmentForm(LimitedModelForm):
    class Meta:
        model = Segment
        fields = ("name", "description", "definition", "shared")

    def clean_definition(self) -> Any:
        definition = self.cleaned_data.get("definition")
        try:
            return definition_validated(definition).data
        except ValidationError as error:
            raise ValidationError(error.message_dict["definition"]) from None


@admin.register(Segment)
class SegmentAdmin(ServiceDeletes, ScopedAdmin):
    form = SegmentForm
    list_display = ("name", "slug", "owner", "shared", "members_count", "refreshed_at")
    list_filter = ("shared",)
    search_fields = ("name", "slug")
    readonly_fields = ("slug", "owner", "members_count", "refreshed_at", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in SegmentForm.Meta.fields}
        if change:
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            saved = segment_update(by=request.user, segment_id=obj.pk, changes=changed)  # type: ignore[arg-type]
        else:
            saved = segment_create(by=request.user, **fields)  # type: ignore[arg-type]
        obj.pk, obj.slug, obj.owner_id = saved.pk, saved.slug, saved.owner_id

    def record_delete(self, request: HttpRequest, obj: Segment) -> None:
        # The stays go with the segment (the service lets the members leave first).
        segment_delete(by=request.user, segment_id=obj.pk)  # type: ignore[arg-type]


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ScopedAdmin):
    """Stays are written by refreshes only: read here, never edited."""

    list_display = ("segment", "customer", "entered_at", "left_at")
    list_filter = ("segment",)
    list_select_related = ("segment", "customer")
    raw_id_fields = ("customer",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
