"""The back office for survey answers and referrals; customers are picked by id."""

from __future__ import annotations

from django.contrib import admin

from tenure.access.admin import ScopedAdmin
from tenure.feedback.models import Referral, SurveyResponse


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ScopedAdmin):
    list_display = ("answered_at", "kind", "score", "customer", "channel")
    list_filter = ("kind", "channel")
    search_fields = ("customer__external_id", "external_id", "comment")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "order", "interaction")
    readonly_fields = ("created_at",)
    show_full_result_count = False


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin):
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
