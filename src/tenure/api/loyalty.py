"""/api/v1/loyalty/...: the points a shop or a point of sale reads, earns and redeems.

Every POST is once per key: the body's ``key``, else the ``Idempotency-Key`` header (one of
the two is required), becomes the entry's source key, so a retry, even with another token,
has no second effect and answers the first entry (200, ``replayed: true``; 201 the first
time). Not enough points is 409 ("balance 40, asked 80"); an analyst may read but not move
points (403); another's customer is 404. Adjustments are for admins and managers; the
program's settings and its tiers (``/loyalty/tiers``) are read by every role and changed by
admins; a customer's points carry their tier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.idempotency import HEADER
from tenure.api.inputs import Input
from tenure.api.types import RecordId
from tenure.loyalty import selectors, services, tiers
from tenure.loyalty.models import (
    LoyaltyBalance,
    LoyaltyProgram,
    PointsEntry,
    Rounding,
    TierBasis,
    TierPeriod,
)

router = Router(tags=["loyalty"])
KEY_HELP = "the request's key: a retry with it has no second effect (default: Idempotency-Key)"


class LotOut(Schema):
    id: int
    points: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None


class PointsEntryOut(Schema):
    id: int
    customer_id: int
    kind: str
    points: int
    written_off: int
    cause: str
    source_key: str
    order_id: int | None
    reverses_id: int | None
    created_at: datetime


class BenefitIn(Input):
    name: str = Field(min_length=1, max_length=60, description="free shipping, early access...")
    description: str = Field("", max_length=300)


class BenefitOut(Schema):
    name: str
    description: str


class TierOut(Schema):
    id: int
    name: str
    rank: int
    threshold: Decimal
    multiplier: Decimal
    benefits: list[BenefitOut]


class TierIn(Input):
    id: int | None = Field(None, ge=1, description="a tier's id to change it; none: a new tier")
    name: str = Field(min_length=1, max_length=60)
    threshold: Decimal = Field(gt=0, max_digits=14, decimal_places=2,
                               description="points, or an amount spent")  # fmt: skip
    multiplier: Decimal = Field(Decimal(1), ge=1, le=10, max_digits=6, decimal_places=3)
    benefits: list[BenefitIn] = Field(default_factory=list, max_length=20)


class TiersOut(Schema):
    basis: str
    period: str
    window_days: int
    tiers: list[TierOut]


class TiersIn(Input):
    basis: TierBasis = Field(description="points earned (net of reversals) or spend")
    period: TierPeriod
    window_days: int = Field(365, ge=1, le=3650, description="the rolling window's days")
    tiers: list[TierIn] = Field(max_length=10, description="lowest first: the order is the rank")


class TierChangeOut(Schema):
    from_name: str
    to_name: str
    direction: str
    reason: str
    at: datetime


class TierStandingOut(Schema):
    tier: TierOut | None
    since: datetime | None
    may_drop_at: datetime | None = Field(description="the first review that could lower it")
    qualifying: Decimal
    changes: list[TierChangeOut]


class PointsOut(Schema):
    customer_id: int
    balance: int
    earned: int
    tier: TierStandingOut
    lots: list[LotOut]
    entries: list[PointsEntryOut]


class MovedOut(Schema):
    entry: PointsEntryOut
    balance: int
    replayed: bool


class EarnIn(Input):
    points: int | None = Field(None, ge=1, le=services.MAX_POINTS)
    amount: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="or an amount, at the rate"
    )
    cause: str = Field("", max_length=200)
    key: str = Field("", max_length=255, description=KEY_HELP)


class RedeemIn(Input):
    points: int = Field(ge=1, le=services.MAX_POINTS)
    cause: str = Field("", max_length=200)
    key: str = Field("", max_length=255, description=KEY_HELP)


class AdjustIn(Input):
    points: int = Field(ge=-services.MAX_POINTS, le=services.MAX_POINTS, description="signed")
    cause: str = Field(min_length=1, max_length=200, description="why: kept with the entry")
    key: str = Field("", max_length=255, description=KEY_HELP)


class RedemptionCancelIn(Input):
    cause: str = Field("", max_length=200)


class ProgramOut(Schema):
    enabled: bool
    points_per_unit: Decimal
    rounding: str
    lot_lifetime_days: int | None
    negative_floor: int
    refund_window_days: int
    max_points_per_order: int | None


class ProgramIn(Input):
    enabled: bool
    points_per_unit: Decimal = Field(ge=0, le=100000, max_digits=10, decimal_places=4)
    rounding: Rounding
    lot_lifetime_days: int | None = Field(ge=1, le=36500)
    negative_floor: int = Field(ge=-10_000_000, le=0)
    refund_window_days: int = Field(ge=0, le=3650)
    max_points_per_order: int | None = Field(
        None, ge=1, le=10_000_000,
        description="the most points one order earns, the tier's multiplier included (null: no "
        "cap)",
    )  # fmt: skip


def _key(request: HttpRequest, body_key: str) -> str:
    key = body_key.strip() or request.headers.get(HEADER, "").strip()
    if not key:
        raise ValidationError({"key": [f"give a key, or send an {HEADER} header"]})
    return key


def _moved(entry: PointsEntry, new: bool) -> Status:
    balance = LoyaltyBalance.objects.filter(pk=entry.customer_id).first()
    body = {"entry": entry, "balance": balance.balance if balance else 0, "replayed": not new}
    return Status(201 if new else 200, body)


@router.get(
    "/loyalty/customers/{customer_id}/points",
    response={200: PointsOut, **ERROR_RESPONSES},
    summary="A customer's points: balance, lots with their expiry, recent entries",
    operation_id="get_customer_points",
)
def get_points(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    found = selectors.customer_points(user=caller(request), customer_id=customer_id)
    if found is None:
        raise Http404
    return {
        "customer_id": customer_id, "balance": found.balance, "earned": found.earned,
        "tier": found.tier,
        "lots": [{"id": lot.pk, "points": lot.points, "remaining": lot.remaining,
                  "earned_at": lot.earned_at, "expires_at": lot.expires_at} for lot in found.lots],
        "entries": found.entries,
    }  # fmt: skip


@router.post(
    "/loyalty/customers/{customer_id}/points/earn",
    response={200: MovedOut, 201: MovedOut, **ERROR_RESPONSES},
    summary="Earn points (a number, or an amount at the program's rate)",
    operation_id="earn_points",
)
def earn_points(request: HttpRequest, customer_id: RecordId, payload: EarnIn) -> Status:
    entry, new = services.points_earn(
        by=caller(request), customer_id=customer_id, key=_key(request, payload.key),
        now=timezone.now(), points=payload.points, amount=payload.amount, cause=payload.cause,
    )  # fmt: skip
    return _moved(entry, new)


@router.post(
    "/loyalty/customers/{customer_id}/points/redeem",
    response={200: MovedOut, 201: MovedOut, **ERROR_RESPONSES},
    summary="Redeem points (soonest-expiring first); 409 when the balance is short",
    operation_id="redeem_points",
)
def redeem_points(request: HttpRequest, customer_id: RecordId, payload: RedeemIn) -> Status:
    entry, new = services.points_redeem(
        by=caller(request), customer_id=customer_id, points=payload.points,
        key=_key(request, payload.key), now=timezone.now(), cause=payload.cause,
    )  # fmt: skip
    return _moved(entry, new)


@router.post(
    "/loyalty/customers/{customer_id}/points/adjust",
    response={200: MovedOut, 201: MovedOut, **ERROR_RESPONSES},
    summary="Adjust points with a reason (admins and managers)",
    operation_id="adjust_points",
)
def adjust_points(request: HttpRequest, customer_id: RecordId, payload: AdjustIn) -> Status:
    entry, new = services.points_adjust(
        by=caller(request), customer_id=customer_id, points=payload.points, cause=payload.cause,
        key=_key(request, payload.key), now=timezone.now(),
    )  # fmt: skip
    return _moved(entry, new)


@router.post(
    "/loyalty/redemptions/{entry_id}/cancel",
    response={200: MovedOut, 201: MovedOut, **ERROR_RESPONSES},
    summary="Cancel a redemption: its points go back to their lots, with their expiry",
    operation_id="cancel_redemption",
)
def cancel_redemption(
    request: HttpRequest, entry_id: RecordId, payload: RedemptionCancelIn
) -> Status:
    entry, new = services.redemption_cancel(
        by=caller(request), entry_id=entry_id, now=timezone.now(), cause=payload.cause
    )
    return _moved(entry, new)


@router.get(
    "/loyalty/program",
    response={200: ProgramOut, **ERROR_RESPONSES},
    summary="The loyalty program's settings",
    operation_id="get_loyalty_program",
)
def get_program(request: HttpRequest) -> LoyaltyProgram:
    caller(request)
    return selectors.program()


@router.put(
    "/loyalty/program",
    response={200: ProgramOut, **ERROR_RESPONSES},
    summary="Change the loyalty program's settings (admins)",
    operation_id="put_loyalty_program",
)
def put_program(request: HttpRequest, payload: ProgramIn) -> LoyaltyProgram:
    return services.program_update(by=caller(request), changes=payload.dict())


def _tiers() -> dict[str, Any]:
    settings = selectors.program()
    return {
        "basis": settings.tier_basis, "period": settings.tier_period,
        "window_days": settings.tier_window_days, "tiers": selectors.tiers(),
    }  # fmt: skip


@router.get(
    "/loyalty/tiers",
    response={200: TiersOut, **ERROR_RESPONSES},
    summary="The loyalty tiers (lowest first), their benefits and the qualification rule",
    operation_id="get_loyalty_tiers",
)
def get_tiers(request: HttpRequest) -> dict[str, Any]:
    caller(request)
    return _tiers()


@router.put(
    "/loyalty/tiers",
    response={200: TiersOut, **ERROR_RESPONSES},
    summary="Replace the loyalty tiers and their qualification rule (admins)",
    operation_id="put_loyalty_tiers",
)
def put_tiers(request: HttpRequest, payload: TiersIn) -> dict[str, Any]:
    tiers.tiers_update(
        by=caller(request), basis=payload.basis, period=payload.period,
        window_days=payload.window_days,
        tiers=[tier.dict() for tier in payload.tiers],
    )  # fmt: skip
    return _tiers()
