"""The back office's view of referral rewards: read only. Codes, attributions and the program
are written by the services alone (the override is ``referral_override``, on
``/loyalty/referrals/`` or the API, admins only, with its reason)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tenure.access import visible
from tenure.access.admin import AdministerOnlyAdmin, ReadOnly, ReadOnlyAdmin
from tenure.customers.models import Customer
from tenure.referrals.models import ReferralAttribution, ReferralCode, ReferralProgram


def _seen(request: HttpRequest) -> QuerySet[Any]:
    return visible(request.user, Customer).values("pk")


@admin.register(ReferralCode)
class ReferralCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "customer", "created_at", "revoked_at")
    search_fields = ("code",)
    raw_id_fields = ("customer", "created_by", "revoked_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return ReferralCode.objects.filter(customer_id__in=_seen(request))


@admin.register(ReferralAttribution)
class ReferralAttributionAdmin(ReadOnlyAdmin):
    list_display = ("attributed_at", "referrer", "referred", "status", "reason", "rewarded_at")
    list_filter = ("status",)
    raw_id_fields = ("code", "referrer", "referred", "referral", "order", "override_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        seen = _seen(request)
        return ReferralAttribution.objects.filter(Q(referrer_id__in=seen) | Q(referred_id__in=seen))


@admin.register(ReferralProgram)
class ReferralProgramAdmin(ReadOnly, AdministerOnlyAdmin):
    """Read here; changed on ``/loyalty/referrals/settings/`` (through ``program_update``)."""

    list_display = ("referrer_points", "referred_points", "signup_url")
