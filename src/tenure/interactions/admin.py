"""The back office for interactions; customers, accounts and contacts are picked by id. A
delete is ``interaction_delete``'s, as on the pages and the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_delete


@admin.register(Interaction)
class InteractionAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("occurred_at", "kind", "subject", "customer", "account", "author", "status")
    list_filter = ("kind", "status")
    search_fields = ("subject", "customer__external_id", "account__name")
    list_select_related = ("customer", "account", "author")
    raw_id_fields = ("customer", "account", "contact")
    autocomplete_fields = ("author",)
    readonly_fields = ("created_at",)
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        interaction_delete(by=request.user, interaction_id=obj.pk)  # type: ignore[arg-type]
