"""The back office for the ideas board: ideas are made and edited through the services (the
title and description; a status and a merge on the pages, the API or the CLI, which queue the
"it shipped" emails); requests are read and deleted through theirs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.ideas import services
from tenure.ideas.models import Idea, IdeaRequest


@admin.register(Idea)
class IdeaAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("title", "status", "created_at", "shipped_at", "merged_into")
    list_filter = ("status",)
    search_fields = ("title",)
    fields = ("title", "description", "status", "merged_into", "shipped_at", "created_at")
    readonly_fields = ("status", "merged_into", "shipped_at", "created_at")
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ("title", "description")}
        by: Any = request.user
        saved = (
            services.idea_update(by=by, idea_id=obj.pk, changes=data)
            if change
            else services.idea_create(by=by, data=data, now=timezone.now())
        )
        obj.pk = saved.pk

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        services.idea_delete(by=request.user, idea_id=obj.pk)  # type: ignore[arg-type]


@admin.register(IdeaRequest)
class IdeaRequestAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("idea", "customer", "source", "created_at")
    list_filter = ("source",)
    list_select_related = ("idea", "customer")
    raw_id_fields = ("idea", "customer", "contact", "interaction", "survey_response")
    readonly_fields = ("created_at",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # added by ``idea_request_add`` only: once per customer, its event

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        services.idea_request_remove(by=request.user, request_id=obj.pk)  # type: ignore[arg-type]
