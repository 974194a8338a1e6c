"""The back office for survey answers and referrals; customers are picked by id. Deletes are
the services', as on the pages and the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin, ServiceDeletes
from tenure.feedback.models import Referral, SurveyResponse
from tenure.feedback.services import referral_delete, survey_response_delete


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("answered_at", "kind", "score", "customer", "channel")
    list_filter = ("kind", "channel")
    search_fields = ("customer__external_id", "external_id", "comment")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "order", "interaction")
    readonly_fields = ("created_at",)
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        survey_response_delete(by=request.user, survey_response_id=obj.pk)  # type: ignore[arg-type]


@admin.register(Referral)
class ReferralAdmin(ServiceDeletes, ScopedAdmin):
    list_display = ("referred_at", "referrer", "referred_customer", "referred_email", "status")
    list_filter = ("status",)
    search_fields = (
        "referrer__external_id", "referred_customer__external_id", "referred_email",
        "external_id",
    )  # fmt: skip
    list_select_related = ("referrer", "referred_customer")
    raw_id_fields = ("referrer", "referred_customer")
    readonly_fields = ("created_at",)
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        referral_delete(by=request.user, referral_id=obj.pk)  # type: ignore[arg-type]
