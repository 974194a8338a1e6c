"""The back office's view of the catalog, the coupons and their uses: read only. Every
change goes through ``tenure.rewards.services`` (the pages, the API, the CLI), so a use is
counted under the coupon's lock and every redemption writes its event."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tenure.access import visible
from tenure.access.admin import ReadOnlyAdmin
from tenure.customers.models import Customer
from tenure.rewards.models import Coupon, CouponRedemption, Reward, RewardRedemption


class BookAdmin(ReadOnlyAdmin):
    """Rows of the customers the member sees (the catalog: all); never changed here."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = self.model._default_manager.all()
        if self.model is Reward:
            return rows
        mine = Q(customer_id__in=visible(request.user, Customer).values("pk"))
        if self.model is Coupon:
            mine |= Q(customer__isnull=True)
        return rows.filter(mine)


@admin.register(Reward)
class RewardAdmin(BookAdmin):
    list_display = ("name", "points_cost", "kind", "coupon_kind", "coupon_value", "stock", "active")
    list_filter = ("active", "kind")
    search_fields = ("name",)


@admin.register(Coupon)
class CouponAdmin(BookAdmin):
    list_display = ("code", "kind", "value", "uses", "max_uses", "expires_at", "customer", "active")
    list_filter = ("kind", "active")
    search_fields = ("code",)
    raw_id_fields = ("customer", "created_by")


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(BookAdmin):
    list_display = ("created_at", "coupon", "customer", "order", "discount", "released_at")
    raw_id_fields = ("coupon", "customer", "order", "by")


@admin.register(RewardRedemption)
class RewardRedemptionAdmin(BookAdmin):
    list_display = ("created_at", "reward", "customer", "points", "coupon", "cancelled_at")
    raw_id_fields = ("reward", "customer", "points_entry", "coupon", "by")
