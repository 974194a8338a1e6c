"""/api/v1/rewards and /api/v1/coupons: the catalog and the coupons a shop or a point of sale
reads, validates and redeems.

Every redeeming POST is once per key: the body's ``key``, else the ``Idempotency-Key``
header (one of the two is required), becomes the redemption's key, so a retry, even with
another token, has no second effect and answers the first redemption (200, ``replayed:
true``; 201 the first time). A coupon refused (used up, expired, minimum order not reached,
not this customer's) is 409 in words ("this coupon has been used"); bad input is 422 naming
the field; not enough points for a reward is 409 ("balance 40, asked 80"). Making coupons and
rewards is for admins and managers; redeeming changes the customer (an analyst 403,
another's customer 404); validating is a read (every role, over its book).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.idempotency import HEADER
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.loyalty.models import LoyaltyBalance
from tenure.loyalty.services import MAX_POINTS
from tenure.rewards import selectors, services
from tenure.rewards.models import (
    Coupon,
    CouponKinds,
    CouponRedemption,
    RewardKind,
    RewardRedemption,
)

router = Router(tags=["rewards"])
KEY_HELP = "the request's key: a retry with it has no second effect (default: Idempotency-Key)"
AmountIn = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)]


class RewardOut(Schema):
    id: int
    name: str
    description: str
    points_cost: int
    active: bool
    stock: int | None
    kind: str
    coupon_kind: str
    coupon_value: Money | None
    coupon_min_order: Money | None
    coupon_valid_days: int | None


class RewardIn(Input):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    points_cost: int = Field(ge=1, le=MAX_POINTS)
    active: bool = True
    stock: int | None = Field(None, ge=0, le=MAX_POINTS)
    kind: RewardKind = RewardKind.COUPON
    coupon_kind: CouponKinds | None = None
    coupon_value: AmountIn | None = None
    coupon_min_order: AmountIn | None = None
    coupon_valid_days: int | None = Field(None, ge=1, le=36500)


class CouponOut(Schema):
    id: int
    code: str
    kind: str
    value: Money
    description: str
    active: bool
    min_order: Money | None
    max_uses: int | None
    per_customer_limit: int | None
    valid_from: datetime | None
    expires_at: datetime | None
    customer_id: int | None
    uses: int
    created_at: datetime


class CouponIn(Input):
    code: str = Field("", max_length=40, description="empty: an unguessable code is drawn")
    kind: CouponKinds
    value: AmountIn | None = Field(None, description="percent or amount off")
    description: str = Field("", max_length=200)
    active: bool = True
    min_order: AmountIn | None = None
    max_uses: int | None = Field(None, ge=1, le=MAX_POINTS, description="empty: no limit")
    per_customer_limit: int | None = Field(None, ge=1, le=MAX_POINTS)
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    customer_id: RecordId | None = Field(None, description="only this customer may use it")


class CouponUseOut(Schema):
    id: int
    coupon_id: int
    customer_id: int
    order_id: int | None
    order_amount: Money
    discount: Money
    created_at: datetime
    released_at: datetime | None
    release_cause: str


class CouponDetailOut(CouponOut):
    redemptions: list[CouponUseOut]


class CheckoutIn(Input):
    code: str = Field(min_length=1, max_length=40)
    customer_id: RecordId
    order_id: RecordId | None = None
    order_amount: AmountIn | None = Field(
        None, description="the basket's amount (default: the order's)"
    )


class RedeemCouponIn(CheckoutIn):
    key: str = Field("", max_length=255, description=KEY_HELP)


class VerdictOut(Schema):
    valid: bool
    discount: Money
    free_shipping: bool
    reason: str = Field(description="empty when valid; else unknown, inactive, expired, ...")
    field: str
    message: str


class CouponRedeemedOut(Schema):
    redemption: CouponUseOut
    free_shipping: bool
    replayed: bool


class RedeemRewardIn(Input):
    customer_id: RecordId
    key: str = Field("", max_length=255, description=KEY_HELP)


class RewardRedemptionOut(Schema):
    id: int
    reward_id: int
    customer_id: int
    points: int
    points_entry_id: int
    coupon: CouponOut | None
    created_at: datetime
    cancelled_at: datetime | None


class RewardRedeemedOut(Schema):
    redemption: RewardRedemptionOut
    balance: int
    replayed: bool


class ReleaseIn(Input):
    cause: str = Field("", max_length=200)


def _key(request: HttpRequest, body_key: str) -> str:
    key = body_key.strip() or request.headers.get(HEADER, "").strip()
    if not key:
        raise ValidationError({"key": [f"give a key, or send an {HEADER} header"]})
    return key


def _reward_moved(redemption: RewardRedemption, new: bool) -> Status:
    balance = LoyaltyBalance.objects.filter(pk=redemption.customer_id).first()
    body = {"redemption": redemption, "balance": balance.balance if balance else 0,
            "replayed": not new}  # fmt: skip
    return Status(201 if new else 200, body)


def _coupon_moved(redemption: CouponRedemption, new: bool) -> Status:
    free = redemption.coupon.kind == CouponKinds.FREE_SHIPPING
    body = {"redemption": redemption, "free_shipping": free, "replayed": not new}
    return Status(201 if new else 200, body)


@router.get(
    "/rewards",
    response={200: Page[RewardOut], **ERROR_RESPONSES},
    summary="The rewards catalog (every role)",
    operation_id="list_rewards",
)
def reward_list(
    request: HttpRequest,
    active: bool = False,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = selectors.rewards_list(user=caller(request), active_only=active)
    return paginate(found, cursor=cursor, limit=limit)


@router.post(
    "/rewards",
    response={201: RewardOut, **ERROR_RESPONSES},
    summary="Add a reward to the catalog (admins and managers)",
    operation_id="create_reward",
)
def reward_create(request: HttpRequest, payload: RewardIn) -> Status:
    data = payload.dict()
    data["coupon_kind"] = data["coupon_kind"] or ""
    return Status(201, services.reward_create(by=caller(request), data=data, now=timezone.now()))


@router.post(
    "/rewards/{reward_id}/redeem",
    response={200: RewardRedeemedOut, 201: RewardRedeemedOut, **ERROR_RESPONSES},
    summary="A customer buys the reward with points; 409 when the balance is short",
    operation_id="redeem_reward",
)
def reward_redeem(request: HttpRequest, reward_id: RecordId, payload: RedeemRewardIn) -> Status:
    redemption, new = services.reward_redeem(
        by=caller(request), reward_id=reward_id, customer_id=payload.customer_id,
        key=_key(request, payload.key), now=timezone.now(),
    )  # fmt: skip
    return _reward_moved(redemption, new)


@router.post(
    "/reward-redemptions/{redemption_id}/cancel",
    response={200: RewardRedeemedOut, 201: RewardRedeemedOut, **ERROR_RESPONSES},
    summary="Cancel a reward's redemption: the points back to their lots, the coupon voided",
    operation_id="cancel_reward_redemption",
)
def reward_cancel(request: HttpRequest, redemption_id: RecordId) -> Status:
    redemption, new = services.reward_redemption_cancel(
        by=caller(request), redemption_id=redemption_id, now=timezone.now()
    )
    return _reward_moved(redemption, new)


@router.get(
    "/coupons",
    response={200: Page[CouponOut], **ERROR_RESPONSES},
    summary="Coupons with their uses (a success manager: their book's and everyone's)",
    operation_id="list_coupons",
)
def coupon_list(
    request: HttpRequest,
    active: bool = False,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = selectors.coupons_list(user=caller(request), active_only=active)
    return paginate(found, cursor=cursor, limit=limit)


@router.post(
    "/coupons",
    response={201: CouponOut, **ERROR_RESPONSES},
    summary="Make a coupon: the business's own code or a drawn one (admins and managers)",
    operation_id="create_coupon",
)
def coupon_create(request: HttpRequest, payload: CouponIn) -> Status:
    coupon = services.coupon_create(by=caller(request), data=payload.dict(), now=timezone.now())
    return Status(201, coupon)


@router.post(
    "/coupons/validate",
    response={200: VerdictOut, **ERROR_RESPONSES},
    summary="Whether a code may be used on this order, and its discount; nothing is written",
    operation_id="validate_coupon",
)
def coupon_validate(request: HttpRequest, payload: CheckoutIn) -> Any:
    return selectors.coupon_validate(
        by=caller(request), code=payload.code, customer_id=payload.customer_id,
        order_id=payload.order_id, order_amount=payload.order_amount, now=timezone.now(),
    )  # fmt: skip


@router.post(
    "/coupons/redeem",
    response={200: CouponRedeemedOut, 201: CouponRedeemedOut, **ERROR_RESPONSES},
    summary="Use a coupon on an order; 409 when refused (used, expired, minimum order)",
    operation_id="redeem_coupon",
)
def coupon_redeem(request: HttpRequest, payload: RedeemCouponIn) -> Status:
    redemption, new = services.coupon_redeem(
        by=caller(request), code=payload.code, customer_id=payload.customer_id,
        order_id=payload.order_id, order_amount=payload.order_amount,
        key=_key(request, payload.key), now=timezone.now(),
    )  # fmt: skip
    return _coupon_moved(redemption, new)


@router.post(
    "/coupon-redemptions/{redemption_id}/release",
    response={200: CouponRedeemedOut, 201: CouponRedeemedOut, **ERROR_RESPONSES},
    summary="Give a coupon's use back (a sale voided at the till)",
    operation_id="release_coupon_redemption",
)
def coupon_release(request: HttpRequest, redemption_id: RecordId, payload: ReleaseIn) -> Status:
    redemption, new = services.coupon_release(
        by=caller(request), redemption_id=redemption_id, now=timezone.now(), cause=payload.cause
    )
    return _coupon_moved(redemption, new)


# After /coupons/validate and /coupons/redeem: "{coupon_id}" would match their last part.
@router.get(
    "/coupons/{coupon_id}",
    response={200: CouponDetailOut, **ERROR_RESPONSES},
    summary="A coupon and its uses among the customers you see",
    operation_id="get_coupon",
)
def coupon_get(request: HttpRequest, coupon_id: RecordId) -> dict[str, Any]:
    found = selectors.coupon_detail(user=caller(request), coupon_id=coupon_id)
    if found is None:
        raise Http404
    coupon: Coupon = found.coupon
    fields = {name: getattr(coupon, name) for name in CouponOut.model_fields}
    return {**fields, "redemptions": found.redemptions}
