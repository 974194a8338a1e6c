"""/api/v1/loyalty/referrals/...: referral codes, attribution, blocked referrals, rewards.

A customer's code is made on demand (``POST .../code``: 201 made, 200 the live one) and
revoked; ``POST /loyalty/referrals/attribute`` attributes a new customer to the code that
brought them (201; the same code again 200, nothing more; another's code 409); a self-referral
is stored blocked with its reason, listed here (``?status=blocked``) and unblocked by an admin
with a reason (``/override``; any other role 403). Every role reads the referrals of its book
(either side); making codes and attributing change a customer (an analyst 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.referrals import selectors, services
from tenure.referrals.models import (
    MAX_REWARD_POINTS,
    AttributionStatus,
    ReferralAttribution,
    ReferralCode,
    ReferralProgram,
)

router = Router(tags=["referrals"])


class ReferralRewardOut(Schema):
    id: int
    referrer_id: int
    referred_customer_id: int = Field(alias="referred_id")
    referral_id: int | None = Field(description="the feedback app's referral")
    status: str
    reason: str = Field(description="why it is blocked, or why it was not rewarded")
    blocked_reason: str
    attributed_at: datetime
    order_id: int | None
    ordered_at: datetime | None
    due_at: datetime | None
    rewarded_at: datetime | None
    referrer_points: int
    referred_points: int
    override_by_id: int | None
    override_at: datetime | None
    override_reason: str


class ReferralAttributedOut(Schema):
    referral: ReferralRewardOut
    replayed: bool


class ReferralCodeOut(Schema):
    customer_id: int
    code: str
    link: str
    created_at: datetime
    revoked_at: datetime | None


class CustomerReferralRewardsOut(Schema):
    customer_id: int
    code: ReferralCodeOut | None
    made: list[ReferralRewardOut]
    received: ReferralRewardOut | None


class ReferralAttributeIn(Input):
    code: str = Field(min_length=1, max_length=40, description="the referrer's code, as typed")
    customer_id: RecordId = Field(description="the new customer it brought")


class ReferralOverrideIn(Input):
    reason: str = Field(min_length=1, max_length=200, description="why: kept with the referral")


class ReferralRewardsQuery(QueryInput):
    status: AttributionStatus | None = Field(None, description="blocked: with the reason")


class ReferralProgramOut(Schema):
    referrer_points: int
    referred_points: int
    signup_url: str


class ReferralProgramIn(Input):
    referrer_points: int = Field(ge=0, le=MAX_REWARD_POINTS, description="0: none")
    referred_points: int = Field(ge=0, le=MAX_REWARD_POINTS, description="0: none")
    signup_url: str = Field("", max_length=500)


def _code(request: HttpRequest, code: ReferralCode) -> dict[str, Any]:
    link = request.build_absolute_uri(f"/r/{code.code}/")
    return {"customer_id": code.customer_id, "code": code.code, "link": link,
            "created_at": code.created_at, "revoked_at": code.revoked_at}  # fmt: skip


@router.get(
    "/loyalty/referrals/program",
    response={200: ReferralProgramOut, **ERROR_RESPONSES},
    summary="The referral rewards' settings",
    operation_id="get_referral_program",
)
def get_program(request: HttpRequest) -> ReferralProgram:
    caller(request)
    return selectors.program()


@router.put(
    "/loyalty/referrals/program",
    response={200: ReferralProgramOut, **ERROR_RESPONSES},
    summary="Change the referral rewards' settings (admins)",
    operation_id="put_referral_program",
)
def put_program(request: HttpRequest, payload: ReferralProgramIn) -> ReferralProgram:
    return services.program_update(by=caller(request), changes=payload.dict())


@router.post(
    "/loyalty/referrals/attribute",
    response={200: ReferralAttributedOut, 201: ReferralAttributedOut, **ERROR_RESPONSES},
    summary="Attribute a new customer to the referral code that brought them",
    operation_id="attribute_referral",
)
def attribute(request: HttpRequest, payload: ReferralAttributeIn) -> Status:
    attribution, new = services.referral_attribute(
        by=caller(request), code=payload.code, customer_id=payload.customer_id,
        now=timezone.now(),
    )  # fmt: skip
    return Status(201 if new else 200, {"referral": attribution, "replayed": not new})


@router.get(
    "/loyalty/referrals",
    response={200: Page[ReferralRewardOut], **ERROR_RESPONSES},
    summary="Referrals through codes, of either side in one's book (blocked: with the reason)",
    operation_id="list_referral_rewards",
)
def list_referrals(
    request: HttpRequest,
    query: Query[ReferralRewardsQuery],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    rows = selectors.attributions_visible(user=caller(request))
    if query.status is not None:
        rows = rows.filter(status=query.status)
    return paginate(rows, cursor=cursor, limit=limit)


def _visible(request: HttpRequest, attribution_id: int) -> ReferralAttribution:
    found = selectors.attributions_visible(user=caller(request)).filter(pk=attribution_id).first()
    if found is None:
        raise Http404
    return found


@router.get(
    "/loyalty/referrals/{attribution_id}",
    response={200: ReferralRewardOut, **ERROR_RESPONSES},
    summary="One referral through a code",
    operation_id="get_referral_reward",
)
def get_referral(request: HttpRequest, attribution_id: RecordId) -> ReferralAttribution:
    return _visible(request, attribution_id)


@router.post(
    "/loyalty/referrals/{attribution_id}/override",
    response={200: ReferralRewardOut, **ERROR_RESPONSES},
    summary="Unblock a blocked referral, with the reason (admins)",
    operation_id="override_referral",
)
def override(
    request: HttpRequest, attribution_id: RecordId, payload: ReferralOverrideIn
) -> ReferralAttribution:
    return services.referral_override(
        by=caller(request),
        attribution_id=attribution_id,
        reason=payload.reason,
        now=timezone.now(),
    )


@router.get(
    "/loyalty/referrals/customers/{customer_id}",
    response={200: CustomerReferralRewardsOut, **ERROR_RESPONSES},
    summary="A customer's live code, the referrals they made and the one that brought them",
    operation_id="get_customer_referrals",
)
def customer_referrals(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    found = selectors.customer_referrals(user=caller(request), customer_id=customer_id)
    if found is None:
        raise Http404
    return {"customer_id": customer_id, "made": found.made, "received": found.received,
            "code": _code(request, found.code) if found.code else None}  # fmt: skip


@router.post(
    "/loyalty/referrals/customers/{customer_id}/code",
    response={200: ReferralCodeOut, 201: ReferralCodeOut, **ERROR_RESPONSES},
    summary="The customer's referral code, made if they have none",
    operation_id="make_referral_code",
)
def make_code(request: HttpRequest, customer_id: RecordId) -> Status:
    code, new = services.code_make(by=caller(request), customer_id=customer_id, now=timezone.now())
    return Status(201 if new else 200, _code(request, code))


@router.post(
    "/loyalty/referrals/customers/{customer_id}/code/revoke",
    response={200: ReferralCodeOut, **ERROR_RESPONSES},
    summary="Revoke the customer's referral code (it brings nobody new; 404: none live)",
    operation_id="revoke_referral_code",
)
def revoke_code(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    code = services.code_revoke(by=caller(request), customer_id=customer_id, now=timezone.now())
    if code is None:
        raise Http404
    return _code(request, code)
