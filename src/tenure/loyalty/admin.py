"""The back office's view of the ledger: read only. Entries, lots and balances are written by
the services alone (an adjustment is ``points_adjust``, on the customer's page or the API);
the program's settings are the admins' (``/loyalty/settings/`` validates them the same way)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from tenure.access import visible
from tenure.access.admin import AdministerOnlyAdmin, ReadOnlyAdmin
from tenure.customers.models import Customer
from tenure.loyalty.models import (
    Challenge,
    ChallengeProgress,
    CustomerTier,
    LoyaltyBalance,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    PointsLot,
    TierChange,
)


class ReadOnlyLedgerAdmin(ReadOnlyAdmin):
    """Rows of the customers the member sees; never added, changed or deleted here."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = self.model._default_manager.all()
        return rows.filter(customer_id__in=visible(request.user, Customer).values("pk"))


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyLedgerAdmin):
    list_display = ("created_at", "customer", "kind", "points", "written_off", "source_key")
    list_filter = ("kind",)
    search_fields = ("source_key",)
    raw_id_fields = ("customer", "order", "reverses", "by")


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyLedgerAdmin):
    list_display = ("entry", "customer", "points", "remaining", "earned_at", "expires_at")
    raw_id_fields = ("entry", "customer")


@admin.register(LoyaltyBalance)
class LoyaltyBalanceAdmin(ReadOnlyLedgerAdmin):
    list_display = ("customer", "balance", "debt", "earned", "updated_at")
    raw_id_fields = ("customer",)


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(AdministerOnlyAdmin):
    """Read here; changed on ``/loyalty/settings/`` (through ``program_update``)."""

    list_display = ("enabled", "points_per_unit", "rounding", "lot_lifetime_days",
                    "negative_floor")  # fmt: skip

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CustomerTier)
class CustomerTierAdmin(ReadOnlyLedgerAdmin):
    list_display = ("customer", "tier", "since", "may_drop_at", "changes")
    list_filter = ("tier",)
    raw_id_fields = ("customer",)


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyLedgerAdmin):
    list_display = ("at", "customer", "from_name", "to_name", "direction", "reason")
    list_filter = ("direction",)
    raw_id_fields = ("customer", "from_tier", "to_tier")


@admin.register(LoyaltyTier)
class LoyaltyTierAdmin(AdministerOnlyAdmin):
    """Read here; changed on ``/loyalty/tiers/`` or ``PUT /api/v1/loyalty/tiers`` (through
    ``tiers_update``, which checks the ranks and thresholds together)."""

    list_display = ("rank", "name", "threshold", "multiplier")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ChallengeProgress)
class ChallengeProgressAdmin(ReadOnlyLedgerAdmin):
    list_display = ("customer", "challenge", "progress", "target", "completed_at", "entry")
    list_filter = ("challenge",)
    raw_id_fields = ("customer", "challenge", "entry")


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    """Read here; made and changed on ``/loyalty/challenges/`` or the API (through
    ``tenure.loyalty.challenges``, which checks the rule)."""

    list_display = ("name", "kind", "bonus_points", "starts_at", "ends_at", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
