"""Writes of the rewards catalog and the coupons: make them, redeem a coupon against an
order, release a use, buy a reward with points, cancel that purchase.

**One use at a time.** ``coupon_redeem`` locks the coupon's row (``SELECT ... FOR UPDATE``;
on SQLite the transaction's write lock, ``BEGIN IMMEDIATE``), then counts and checks, then
takes the use by a conditional ``UPDATE ... SET uses = uses + 1 WHERE uses < max_uses`` (and a
database constraint ``uses <= max_uses``): of 20 checkouts of a single-use coupon at once,
one is recorded, the others are told "this coupon has been used" (409).

**Once per key.** A redemption's key is unique; the same key again answers the first result,
even when the coupon has been used up since (a retry after a lost answer).

**Releasing a use.** A use made on an order is given back when that order is voided in full:
refunded, cancelled or deleted (``following.RELEASES`` follows those events), or by the shop
(``coupon_release``, for a till's sale that was never an order). A partial refund keeps it:
the customer kept part of what the discount bought.

**Rewards.** ``reward_redeem`` spends the points through ``tenure.loyalty.services.
points_redeem`` (its source key derived from the request's key), issues the reward's coupon
(single use, tied to the customer) and writes the redemption in one transaction: not enough
points (409) writes nothing. ``reward_redemption_cancel`` gives the points back to their lots
(``redemption_cancel``) and voids the coupon, refused while the coupon's use stands.

Who may: making and editing coupons and rewards is for admins and managers; redeeming,
releasing and cancelling change the customer (a success manager their book's, another's is
404; an analyst 403); ``by=None`` is the operator or the worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from tenure.access import AccessDenied, get_visible_or_404, require, sees_all
from tenure.access.records import TAKEN
from tenure.customers.models import Customer
from tenure.domain import coupons as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.loyalty.services import MAX_POINTS, points_redeem, redemption_cancel, source_key
from tenure.orders.models import Order, OrderStatus
from tenure.rewards import events
from tenure.rewards.models import (
    Coupon,
    CouponKinds,
    CouponRedemption,
    Reward,
    RewardKind,
    RewardRedemption,
)
from tenure.users.models import User

COUPON_FIELDS = frozenset(
    {"code", "kind", "value", "description", "active", "min_order", "max_uses",
     "per_customer_limit", "valid_from", "expires_at", "customer_id"}
)  # fmt: skip
REWARD_FIELDS = frozenset(
    {"name", "description", "points_cost", "active", "stock", "kind", "coupon_kind",
     "coupon_value", "coupon_min_order", "coupon_valid_days"}
)  # fmt: skip


class CouponRefused(Conflict):
    """A valid request the coupon refuses (used up, expired, ...): 409, ``field`` and
    ``reason`` kept for the edges."""

    def __init__(self, message: str, *, reason: str = "", field: str = "code") -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


def _curator(by: User | None) -> None:
    """Admins and managers make coupons and rewards (an analyst 403, a success manager too)."""
    if by is None:
        return
    require(by, Action.CHANGE)
    if not sees_all(by, Action.CHANGE):
        raise AccessDenied("only admins and managers make coupons and rewards")


def customer_of(by: User | None, customer_id: int, action: Action = Action.CHANGE) -> Customer:
    """The customer ``by`` may ``action`` (403 for a role that may not, 404 outside the book);
    the operator's: any, or "no customer with id N"."""
    if by is None:
        found = Customer.objects.filter(pk=customer_id).first()
        if found is None:
            raise ValidationError({"customer_id": [f"no customer with id {customer_id}"]})
        return found
    return get_visible_or_404(by, Customer, action, pk=customer_id)


def terms_of(coupon: Coupon) -> rules.Terms:
    """The coupon's terms, its moments in the business's time zone (for the words)."""

    def local(at: datetime | None) -> datetime | None:
        return None if at is None else timezone.localtime(at)

    return rules.Terms(
        kind=rules.CouponKind(coupon.kind), value=Decimal(coupon.value), active=coupon.active,
        min_order=coupon.min_order, max_uses=coupon.max_uses,
        per_customer_limit=coupon.per_customer_limit, valid_from=local(coupon.valid_from),
        expires_at=local(coupon.expires_at), customer_id=coupon.customer_id,
    )  # fmt: skip


def amount_parse(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({name: ["an amount such as 49.90"]}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({name: ["an amount of 0 or more, below 1,000,000,000,000"]})
    if amount != amount.quantize(rules.CENT):
        raise ValidationError({name: ["at most two decimal places"]})
    return amount


# --- coupons -------------------------------------------------------------------------------


def code_parse(text: str) -> str:
    try:
        return rules.code_normalize(text)
    except rules.CouponError as error:
        raise ValidationError({error.field: [str(error)]}) from None


def _coupon_values(by: User | None, data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - COUPON_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    kind = data.get("kind") or ""
    if kind not in CouponKinds.values:
        raise ValidationError({"kind": [f"one of {', '.join(CouponKinds.values)}"]})
    value = amount_parse(data.get("value"), "value")
    if value is None:
        value = Decimal("0.00")
        if kind != CouponKinds.FREE_SHIPPING:
            raise ValidationError({"value": ["give the percent or the amount off"]})
    values: dict[str, Any] = {
        "kind": kind, "value": value,
        "min_order": amount_parse(data.get("min_order"), "min_order"),
        "description": str(data.get("description") or "")[:200],
        "active": bool(data.get("active", True)),
        "max_uses": data.get("max_uses"), "per_customer_limit": data.get("per_customer_limit"),
        "valid_from": data.get("valid_from"), "expires_at": data.get("expires_at"),
    }  # fmt: skip
    customer_id = data.get("customer_id")
    if customer_id:
        try:
            values["customer"] = customer_of(by, int(customer_id))
        except Http404:  # named in a body: the words for an id that does not exist
            raise ValidationError({"customer_id": [f"no customer with id {customer_id}"]}) from None
    try:
        rules.terms_check(rules.Terms(
            kind=rules.CouponKind(kind), value=value, min_order=values["min_order"],
            max_uses=values["max_uses"], per_customer_limit=values["per_customer_limit"],
            valid_from=values["valid_from"], expires_at=values["expires_at"],
        ))  # fmt: skip
    except rules.CouponError as error:
        raise ValidationError({error.field: [str(error)]}) from None
    return values


@transaction.atomic
def coupon_create(
    *, by: User | None, data: Mapping[str, Any], now: datetime, draw: rules.Draw | None = None
) -> Coupon:
    """A coupon with the business's own ``code`` (case-insensitive unique) or a generated one
    (``draw``: ``secrets.SystemRandom()`` unless a test passes its own)."""
    _curator(by)
    values = _coupon_values(by, data)
    given = str(data.get("code") or "").strip()
    draw = draw or secrets.SystemRandom()
    for _attempt in range(5):
        code = code_parse(given) if given else rules.code_generate(draw)
        try:
            with transaction.atomic():
                return Coupon.objects.create(code=code, created_at=now, created_by=by, **values)
        except IntegrityError:
            if given:
                raise ValidationError({"code": [TAKEN]}) from None
    raise Conflict("no free code was drawn in five tries; try again")  # 31^12 codes: never


def _coupon_locked(code: str) -> Coupon:
    found = Coupon.objects.select_for_update().filter(code=code_parse(code)).first()
    if found is None:
        raise ValidationError({"code": ["no coupon with this code"]})
    return found


def order_of(
    by: User | None, order_id: int, customer: Customer, action: Action = Action.CHANGE
) -> Order:
    """The customer's completed order ``order_id``, as ``by`` may ``action`` it."""
    orders = Order.objects.filter(customer=customer)
    found = orders.filter(pk=order_id).first() if by is None else None
    if by is not None:
        try:
            found = get_visible_or_404(by, orders, action, pk=order_id)
        except Http404:
            found = None
    if found is None:
        raise ValidationError({"order_id": [f"no order with id {order_id} of this customer"]})
    if found.status != OrderStatus.COMPLETED:
        raise ValidationError({"order_id": [f"order {order_id} is {found.status}"]})
    return found


def _customer_uses(coupon: Coupon, customer_id: int) -> int:
    return CouponRedemption.objects.filter(
        coupon=coupon, customer_id=customer_id, released_at__isnull=True
    ).count()


@transaction.atomic
def coupon_redeem(
    *,
    by: User | None,
    code: str,
    customer_id: int,
    key: str,
    now: datetime,
    order_id: int | None = None,
    order_amount: Decimal | None = None,
) -> tuple[CouponRedemption, bool]:
    """Use the coupon ``code`` for the customer on an order (``order_id``; its amount unless
    ``order_amount`` says the basket's) or on an amount at a till: (redemption, whether new).
    Refused (``CouponRefused``, 409) in the rule's words; once per ``key``."""
    customer = customer_of(by, customer_id)
    amount = amount_parse(order_amount, "order_amount")
    if amount is None and order_id is None:
        raise ValidationError({"order_amount": ["give the order or the order's amount"]})
    redemption_key = source_key("coupon", key)
    coupon = _coupon_locked(code)  # every redemption of this coupon waits here
    found = CouponRedemption.objects.filter(key=redemption_key).first()
    if found is not None:  # a retry: the first answer, even if the order changed since
        if found.coupon_id != coupon.pk or found.customer_id != customer.pk:
            raise ValidationError({"key": ["this key was used for another request"]})
        return found, False
    order = order_of(by, order_id, customer) if order_id is not None else None
    if amount is None:
        assert order is not None
        amount = order.amount
    try:
        off = rules.coupon_check(
            terms_of(coupon), customer_id=customer.pk, order_amount=amount, now=now,
            uses=coupon.uses, customer_uses=_customer_uses(coupon, customer.pk),
        )  # fmt: skip
    except rules.CouponRefused as refused:
        raise CouponRefused(str(refused), reason=refused.reason, field=refused.field) from None
    except rules.CouponError as error:
        raise ValidationError({error.field: [str(error)]}) from None
    taken = (
        Coupon.objects.filter(pk=coupon.pk)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )
    if not taken:  # the lock makes this unreachable; the conditional update holds regardless
        raise CouponRefused("this coupon has been used", reason="used_up")
    redemption = CouponRedemption.objects.create(
        coupon=coupon, customer=customer, order=order, order_amount=amount, discount=off,
        key=redemption_key, created_at=now, by=by,
    )  # fmt: skip
    events.coupon_announce(redemption, events.COUPON_REDEEMED)
    return redemption, True


def redemption_release(redemption: CouponRedemption, *, now: datetime, cause: str) -> bool:
    """Give the use back (no permission check: the callers did); False if it was already."""
    Coupon.objects.select_for_update().filter(pk=redemption.coupon_id).first()
    fresh = CouponRedemption.objects.get(pk=redemption.pk)
    if fresh.released_at is not None:
        return False
    CouponRedemption.objects.filter(pk=redemption.pk).update(
        released_at=now, release_cause=cause[:200]
    )
    Coupon.objects.filter(pk=redemption.coupon_id, uses__gt=0).update(uses=F("uses") - 1)
    redemption.released_at, redemption.release_cause = now, cause[:200]
    events.coupon_announce(redemption, events.COUPON_RELEASED)
    return True


@transaction.atomic
def coupon_release(
    *, by: User | None, redemption_id: int, now: datetime, cause: str = ""
) -> tuple[CouponRedemption, bool]:
    """The shop gives a use back (a sale voided at the till); once."""
    found = CouponRedemption.objects.filter(pk=redemption_id).first()
    if found is None:
        raise Http404("no such record")
    customer_of(by, found.customer_id)
    new = redemption_release(found, now=now, cause=cause or "released by the shop")
    found.refresh_from_db()
    return found, new


def orders_voided_release(order_ids: list[int], *, now: datetime, words: str) -> int:
    """The uses made on these orders, given back (an order refunded in full, cancelled or
    deleted); the coupons locked in id order."""
    open_uses = CouponRedemption.objects.filter(order_id__in=order_ids, released_at__isnull=True)
    released = 0
    for redemption in open_uses.order_by("coupon_id", "id"):
        released += redemption_release(
            redemption, now=now, cause=f"order {redemption.order_id} {words}"
        )
    return released


# --- rewards -------------------------------------------------------------------------------


def _reward_values(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - REWARD_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    values = dict(data)
    if "coupon_value" in values:
        values["coupon_value"] = amount_parse(values["coupon_value"], "coupon_value")
    if "coupon_min_order" in values:
        values["coupon_min_order"] = amount_parse(values["coupon_min_order"], "coupon_min_order")
    return values


def _reward_check(reward: Reward) -> None:
    if reward.kind == RewardKind.OTHER:
        reward.coupon_kind, reward.coupon_value = "", None
        reward.coupon_min_order = reward.coupon_valid_days = None
    else:
        if not reward.coupon_kind:
            raise ValidationError({"coupon_kind": ["a coupon reward needs the coupon's kind"]})
        if reward.coupon_kind == CouponKinds.FREE_SHIPPING and reward.coupon_value is None:
            reward.coupon_value = Decimal("0.00")
        if reward.coupon_value is None:
            raise ValidationError({"coupon_value": ["give the percent or the amount off"]})
        try:
            rules.terms_check(rules.Terms(
                kind=rules.CouponKind(reward.coupon_kind), value=reward.coupon_value,
                min_order=reward.coupon_min_order,
            ))  # fmt: skip
        except rules.CouponError as error:
            raise ValidationError({f"coupon_{error.field}": [str(error)]}) from None
    if not 1 <= (reward.points_cost or 0) <= MAX_POINTS:
        raise ValidationError({"points_cost": [f"a whole number of points, 1 to {MAX_POINTS:,}"]})
    reward.full_clean(validate_unique=False, validate_constraints=False)
    if Reward.objects.filter(name__iexact=reward.name).exclude(pk=reward.pk).exists():
        raise ValidationError({"name": [TAKEN]})


@transaction.atomic
def reward_create(*, by: User | None, data: Mapping[str, Any], now: datetime) -> Reward:
    """A reward of the catalog (admins and managers)."""
    _curator(by)
    reward = Reward(created_at=now, **_reward_values(data))
    _reward_check(reward)
    reward.save()
    return reward


@transaction.atomic
def reward_update(*, by: User | None, reward_id: int, changes: Mapping[str, Any]) -> Reward:
    """Change a reward (admins and managers); what was redeemed keeps what it gave."""
    _curator(by)
    reward = Reward.objects.select_for_update().filter(pk=reward_id).first()
    if reward is None:
        raise Http404("no such record")
    for name, value in _reward_values(changes).items():
        setattr(reward, name, value)
    _reward_check(reward)
    reward.save()
    return reward


def _reward_coupon(reward: Reward, customer: Customer, now: datetime, by: User | None) -> Coupon:
    days = reward.coupon_valid_days
    draw = secrets.SystemRandom()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    code=rules.code_generate(draw), kind=reward.coupon_kind,
                    value=reward.coupon_value or Decimal("0.00"),
                    min_order=reward.coupon_min_order, max_uses=1, per_customer_limit=1,
                    customer=customer, created_at=now, created_by=by,
                    expires_at=None if days is None else now + timedelta(days=days),
                    description=f"Reward: {reward.name}"[:200],
                )  # fmt: skip
        except IntegrityError:
            continue
    raise Conflict("no free code was drawn in five tries; try again")


@transaction.atomic
def reward_redeem(
    *, by: User | None, reward_id: int, customer_id: int, key: str, now: datetime
) -> tuple[RewardRedemption, bool]:
    """The customer buys the reward with points: the points redeemed (``points_redeem``, its
    source key from ``key``), the reward's coupon issued, the redemption written, together;
    once per ``key``. Not enough points: ``PointsRefused`` (409), nothing written."""
    customer = customer_of(by, customer_id)
    reward = Reward.objects.select_for_update().filter(pk=reward_id).first()
    if reward is None:
        raise Http404("no such record")
    redemption_key = source_key(f"reward:{customer.pk}", key)
    found = RewardRedemption.objects.filter(key=redemption_key).first()
    if found is not None:
        if found.reward_id != reward.pk:
            raise ValidationError({"key": ["this key was used for another request"]})
        return found, False
    if not reward.active:
        raise Conflict(f"the reward {reward.name!r} is not offered now")
    if reward.stock is not None and reward.stock <= 0:
        raise Conflict(f"the reward {reward.name!r} is out of stock")
    entry, _ = points_redeem(
        by=by, customer_id=customer.pk, points=reward.points_cost, key=redemption_key, now=now,
        cause=f"reward: {reward.name}",
    )  # fmt: skip
    coupon = _reward_coupon(reward, customer, now, by) if reward.kind == RewardKind.COUPON else None
    if reward.stock is not None:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
    redemption = RewardRedemption.objects.create(
        reward=reward, customer=customer, points=reward.points_cost, points_entry=entry,
        coupon=coupon, key=redemption_key, created_at=now, by=by,
    )  # fmt: skip
    events.reward_announce(redemption, events.REWARD_REDEEMED)
    return redemption, True


@transaction.atomic
def reward_redemption_cancel(
    *, by: User | None, redemption_id: int, now: datetime
) -> tuple[RewardRedemption, bool]:
    """The points back to their lots, the coupon voided, the stock back; once. Refused (409)
    while the coupon's use on an order stands: release it first."""
    found = RewardRedemption.objects.filter(pk=redemption_id).first()
    if found is None:
        raise Http404("no such record")
    customer_of(by, found.customer_id)
    reward = Reward.objects.select_for_update().get(pk=found.reward_id)  # the redeem's order
    found = RewardRedemption.objects.select_for_update().get(pk=found.pk)
    if found.cancelled_at is not None:
        return found, False
    if found.coupon_id is not None:
        coupon = Coupon.objects.select_for_update().get(pk=found.coupon_id)
        if coupon.uses > 0:
            raise Conflict("its coupon was used on an order: release that use first")
        Coupon.objects.filter(pk=coupon.pk).update(active=False, voided_at=now)
    redemption_cancel(
        by=by, entry_id=found.points_entry_id, now=now, cause=f"reward {reward.name} cancelled"
    )
    if reward.stock is not None:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
    found.cancelled_at = now
    found.save(update_fields=["cancelled_at"])
    events.reward_announce(found, events.REWARD_CANCELLED)
    return found, True
