"""/api/v1/loyalty/challenges: the loyalty program's challenges ("three orders in 60 days",
"try a new product line") and a customer's progress in them.

Every role reads the challenges; admins and managers make and change them (an analyst or a
success manager 403). A POST with an ``Idempotency-Key`` runs once (``tenure.api.idempotency``:
a retry answers the first response). Bad input is 422 naming the field; a rule changed after
a customer completed the challenge is 409. A customer's progress is over the caller's book
(another's customer 404), as their points are.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.domain.challenges import MAX_COUNT, MAX_WINDOW_DAYS, PREFIX_MAX
from tenure.loyalty import challenges as service
from tenure.loyalty.models import Challenge, ChallengeKind
from tenure.loyalty.services import MAX_POINTS

router = Router(tags=["loyalty"])
ChallengeAmount = Annotated[
    Decimal, Field(gt=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
]
ChallengeMinimum = Annotated[
    Decimal, Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
]


class ChallengeOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    target_count: int | None
    target_amount: Money | None
    window_days: int | None
    min_amount: Money | None
    sku_prefix: str
    bonus_points: int
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool
    created_at: datetime


class ChallengeCreateIn(Input):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=1000, description="shown to customers")
    kind: ChallengeKind
    target_count: int | None = Field(None, ge=1, le=MAX_COUNT, description="orders_count")
    target_amount: ChallengeAmount | None = Field(None, description="spend")
    window_days: int | None = Field(
        None, ge=1, le=MAX_WINDOW_DAYS, description="any window of so many days (empty: none)"
    )
    min_amount: ChallengeMinimum | None = Field(None, description="orders_count: each order's")
    sku_prefix: str = Field("", max_length=PREFIX_MAX, description="new_product_line")
    bonus_points: int = Field(ge=1, le=MAX_POINTS)
    starts_at: datetime | None = Field(None, description="empty: now")
    ends_at: datetime | None = None
    active: bool = True


class ChallengePatchIn(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=1000)
    kind: ChallengeKind | None = None
    target_count: int | None = Field(None, ge=1, le=MAX_COUNT)
    target_amount: ChallengeAmount | None = None
    window_days: int | None = Field(None, ge=1, le=MAX_WINDOW_DAYS)
    min_amount: ChallengeMinimum | None = None
    sku_prefix: str | None = Field(None, max_length=PREFIX_MAX)
    bonus_points: int | None = Field(None, ge=1, le=MAX_POINTS)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool | None = None


class ChallengeProgressOut(Schema):
    challenge: ChallengeOut
    progress: Decimal = Field(description="orders counted or amount spent, at most the target")
    target: Decimal
    words: str = Field(description='"2 of 3 orders, 41 days left"')
    eligible: bool
    window_start: datetime | None
    window_end: datetime | None
    days_left: int | None
    completed_at: datetime | None
    awarded: bool
    points_entry_id: int | None


class CustomerChallengesOut(Schema):
    customer_id: int
    challenges: list[ChallengeProgressOut]


@router.get(
    "/loyalty/challenges",
    response={200: Page[ChallengeOut], **ERROR_RESPONSES},
    summary="The loyalty challenges (every role)",
    operation_id="list_challenges",
)
def challenge_list(
    request: HttpRequest, active: bool = False, cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:  # fmt: skip
    found = service.challenges_list(user=caller(request), active_only=active)
    return paginate(found, cursor=cursor, limit=limit)


@router.post(
    "/loyalty/challenges",
    response={201: ChallengeOut, **ERROR_RESPONSES},
    summary="Make a challenge (admins and managers)",
    operation_id="create_challenge",
)
def challenge_create(request: HttpRequest, payload: ChallengeCreateIn) -> Status:
    made = service.challenge_create(by=caller(request), data=payload.dict(), now=timezone.now())
    return Status(201, made)


def _one(request: HttpRequest, challenge_id: int) -> Challenge:
    found = service.challenges_list(user=caller(request)).filter(pk=challenge_id).first()
    if found is None:
        raise Http404
    return found


@router.get(
    "/loyalty/challenges/{challenge_id}",
    response={200: ChallengeOut, **ERROR_RESPONSES},
    summary="A challenge",
    operation_id="get_challenge",
)
def challenge_get(request: HttpRequest, challenge_id: RecordId) -> Challenge:
    return _one(request, challenge_id)


@router.patch(
    "/loyalty/challenges/{challenge_id}",
    response={200: ChallengeOut, **ERROR_RESPONSES},
    summary="Change a challenge (admins and managers); its rule is fixed once completed",
    operation_id="update_challenge",
)
def challenge_update(
    request: HttpRequest, challenge_id: RecordId, payload: ChallengePatchIn
) -> Challenge:
    changes = payload.dict(exclude_unset=True)
    for name in ("name", "kind", "bonus_points", "active", "description", "sku_prefix"):
        if name in changes and changes[name] is None:  # these have no "empty"
            changes.pop(name)
    return service.challenge_update(by=caller(request), challenge_id=challenge_id, changes=changes)


@router.get(
    "/loyalty/customers/{customer_id}/challenges",
    response={200: CustomerChallengesOut, **ERROR_RESPONSES},
    summary="A customer's progress in the challenges (over your book)",
    operation_id="get_customer_challenges",
)
def customer_challenges(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    found = service.customer_challenges(
        user=caller(request), customer_id=customer_id, now=timezone.now()
    )
    if found is None:
        raise Http404
    _, standings = found
    return {
        "customer_id": customer_id,
        "challenges": [
            {"challenge": s.challenge, "progress": s.progress.current,
             "target": s.progress.target, "words": s.words, "eligible": s.progress.eligible,
             "window_start": s.progress.window_start, "window_end": s.progress.window_end,
             "days_left": s.days_left, "completed_at": s.progress.completed_at,
             "awarded": s.awarded, "points_entry_id": s.points_entry_id}
            for s in standings
        ],
    }  # fmt: skip
