"""The back office for voices and feedback forms. A voice's words are what someone said:
read-only here (its customer, account and language may be corrected); voices arrive by the
import, the API and the public forms, not the admin. Deletes are the service's."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.voices.models import FeedbackForm, Voice
from tenure.voices.services import voice_delete


@admin.register(Voice)
class VoiceAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("published_at", "source_kind", "source_name", "author", "rating", "customer")
    list_filter = ("source_kind",)
    search_fields = ("source_name", "external_id", "author", "text")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "account", "form")
    readonly_fields = (
        "source_kind", "source_name", "external_id", "url", "author", "author_email", "rating",
        "rating_scale", "text", "published_at", "created_at", "form",
    )  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # recorded by the import, the API and the public forms

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        voice_delete(by=request.user, voice_id=obj.pk)  # type: ignore[arg-type]


@admin.register(FeedbackForm)
class FeedbackFormAdmin(ScopedAdmin):
    list_display = ("title", "slug", "active", "ask_email", "created_at")
    list_filter = ("active",)
    readonly_fields = ("created_by", "created_at")
