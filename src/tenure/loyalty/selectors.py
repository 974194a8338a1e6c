"""Reads of the points ledger, scoped by the customers the user sees (``visible``): a
customer's points (balance, lots with expiry, recent entries), the program's overview
(members, outstanding points, this month's movements), the program's settings, and the
nightly reconciliation's check of the cached balances against the ledger and the lots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.loyalty.models import (
    CustomerTier,
    EntryKind,
    LoyaltyBalance,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    PointsLot,
    TierChange,
)
from tenure.users.models import User


def program() -> LoyaltyProgram:
    """The program's settings (the one row, made with the defaults when first read)."""
    found = LoyaltyProgram.objects.order_by("pk").first()
    if found is None:
        LoyaltyProgram.objects.bulk_create([LoyaltyProgram(pk=1)], ignore_conflicts=True)
        found = LoyaltyProgram.objects.order_by("pk").first()
    assert found is not None
    return found


@dataclass(frozen=True)
class TierStanding:
    """A customer's tier (None: below every tier), since when, when it may drop next (None:
    never, or no tier), the amount that decided it, and its latest changes."""

    tier: LoyaltyTier | None
    since: datetime | None
    may_drop_at: datetime | None
    qualifying: Decimal
    changes: list[TierChange]


@dataclass(frozen=True)
class CustomerPoints:
    customer: Customer
    balance: int
    debt: int
    earned: int
    lots: list[PointsLot]
    entries: list[PointsEntry]
    tier: TierStanding | None = None


def tiers() -> list[LoyaltyTier]:
    """The tiers, lowest first."""
    return list(LoyaltyTier.objects.order_by("rank"))


def tier_standing(customer_id: int, *, limit: int = 20) -> TierStanding:
    """The customer's tier (the caller has checked the customer is visible)."""
    row = CustomerTier.objects.filter(pk=customer_id).select_related("tier").first()
    changes = list(TierChange.objects.filter(customer_id=customer_id)[:limit])
    if row is None:
        return TierStanding(None, None, None, Decimal(0), changes)
    return TierStanding(row.tier, row.since, row.may_drop_at if row.tier else None,
                        row.qualifying, changes)  # fmt: skip


def tier_mix(*, user: User) -> list[tuple[LoyaltyTier, int]]:
    """How many of the customers the user sees hold each tier, lowest first."""
    held = dict(
        CustomerTier.objects.filter(
            customer_id__in=visible(user, Customer).values("pk"), tier__isnull=False
        )
        .order_by()
        .values("tier_id")
        .annotate(n=Count("pk"))
        .values_list("tier_id", "n")
    )
    return [(tier, held.get(tier.pk, 0)) for tier in tiers()]


def customer_points(*, user: Any, customer_id: int, limit: int = 50) -> CustomerPoints | None:
    """The customer's points as the user may see them; None outside their book."""
    customer = visible(user, Customer).filter(pk=customer_id).first()
    if customer is None:
        return None
    row = LoyaltyBalance.objects.filter(customer_id=customer_id).first()
    lots = list(PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0))
    entries = list(PointsEntry.objects.filter(customer_id=customer_id).select_related("by")[:limit])
    return CustomerPoints(
        customer=customer,
        balance=row.balance if row else 0,
        debt=row.debt if row else 0,
        earned=row.earned if row else 0,
        lots=lots,
        entries=entries,
        tier=tier_standing(customer_id),
    )


def entries_of(user: Any) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(customer_id__in=visible(user, Customer).values("pk"))


@dataclass(frozen=True)
class Overview:
    members: int
    outstanding: int
    negative: int
    month_start: datetime
    earned: int
    redeemed: int
    expired: int
    reversed: int


def overview(*, user: User, now: datetime) -> Overview:
    """Members (customers with a balance row), outstanding points (the liability: the sum of
    positive balances), customers below zero, and this calendar month's movements, over the
    customers the user sees."""
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    balances = LoyaltyBalance.objects.filter(customer_id__in=visible(user, Customer).values("pk"))
    figures = balances.aggregate(
        members=Count("pk"),
        outstanding=Sum("balance", filter=Q(balance__gt=0), default=0),
        negative=Count("pk", filter=Q(balance__lt=0)),
    )
    month = entries_of(user).filter(created_at__gte=start, created_at__lte=now)
    sums = month.aggregate(**{
        kind: Sum("points", filter=Q(kind=kind), default=0)
        for kind in (EntryKind.EARN, EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.REVERSE)
    })  # fmt: skip
    return Overview(
        members=figures["members"],
        outstanding=figures["outstanding"],
        negative=figures["negative"],
        month_start=start,
        earned=sums[EntryKind.EARN],
        redeemed=-sums[EntryKind.REDEEM],
        expired=-sums[EntryKind.EXPIRE],
        reversed=-sums[EntryKind.REVERSE],
    )


@dataclass(frozen=True)
class Mismatch:
    customer_id: int
    cached: int
    ledger: int
    lots: int
    debt: int

    def words(self) -> str:
        return (
            f"customer {self.customer_id}: cached balance {self.cached}, ledger sum "
            f"{self.ledger}, lots {self.lots} less debt {self.debt}"
        )


def balances_reconcile() -> tuple[int, list[Mismatch]]:
    """Every customer with points: the cached balance against the ledger's sum and against
    the lots' remainders less the debt (and a debt only with every lot empty). (customers
    checked, mismatches); nothing is fixed here."""
    ledger = dict(
        PointsEntry.objects.order_by().values("customer_id").annotate(s=Sum("points"))
        .values_list("customer_id", "s")
    )  # fmt: skip
    lots = dict(
        PointsLot.objects.order_by().values("customer_id").annotate(s=Sum("remaining"))
        .values_list("customer_id", "s")
    )  # fmt: skip
    cached = {
        pk: (balance, debt)
        for pk, balance, debt in LoyaltyBalance.objects.values_list("pk", "balance", "debt")
    }
    mismatches = []
    for customer_id in sorted(set(ledger) | set(lots) | set(cached)):
        balance, debt = cached.get(customer_id, (0, 0))
        in_ledger = ledger.get(customer_id) or 0
        in_lots = lots.get(customer_id) or 0
        if balance != in_ledger or balance != in_lots - debt or (debt and in_lots):
            mismatches.append(Mismatch(customer_id, balance, in_ledger, in_lots, debt))
    return len(set(ledger) | set(cached)), mismatches
