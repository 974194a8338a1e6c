"""The back office for interactions; customers, accounts and contacts are picked by id."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from tenure.customers.admin import AnnouncingAdmin
from tenure.customers.signals import send_after_commit
from tenure.interactions.models import Interaction, InteractionKind
from tenure.interactions.signals import complaint_logged


@admin.register(Interaction)
class InteractionAdmin(AnnouncingAdmin):
    customer_field, dated_by, cause = "customer_id", "occurred_at", "interaction"

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and obj.kind == InteractionKind.COMPLAINT:  # as interaction_create
            send_after_commit(
                complaint_logged, Interaction, interaction_id=obj.pk, customer_id=obj.customer_id
            )

    list_display = ("occurred_at", "kind", "subject", "customer", "account", "author", "status")
    list_filter = ("kind", "status")
    search_fields = ("subject", "customer__external_id", "account__name")
    list_select_related = ("customer", "account", "author")
    raw_id_fields = ("customer", "account", "contact")
    autocomplete_fields = ("author",)
    readonly_fields = ("created_at",)
    show_full_result_count = False
