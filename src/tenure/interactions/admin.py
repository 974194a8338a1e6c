"""The back office for interactions; customers, accounts and contacts are picked by id."""

from __future__ import annotations

from django.contrib import admin

from tenure.access.admin import ScopedAdmin
from tenure.interactions.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(ScopedAdmin):
    list_display = ("occurred_at", "kind", "subject", "customer", "account", "author", "status")
    list_filter = ("kind", "status")
    search_fields = ("subject", "customer__external_id", "account__name")
    list_select_related = ("customer", "account", "author")
    raw_id_fields = ("customer", "account", "contact")
    autocomplete_fields = ("author",)
    readonly_fields = ("created_at",)
    show_full_result_count = False
