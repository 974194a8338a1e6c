"""Reads of the rewards catalog and the coupons, scoped by the customers the user sees: the
catalog is the business's (every role reads it); a coupon tied to a customer is that
customer's (a success manager sees their book's and the coupons of no one in particular);
redemptions are their customers'. ``coupon_validate`` answers a checkout page: valid with
the discount, or the reason in words, without redeeming."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.domain import coupons as rules
from tenure.domain.access import Action
from tenure.rewards.models import Coupon, CouponRedemption, Reward, RewardRedemption
from tenure.rewards.services import amount_parse, code_parse, customer_of, order_of, terms_of
from tenure.users.models import User


def rewards_list(*, user: Any, active_only: bool = False) -> QuerySet[Reward]:
    rewards = Reward.objects.all()
    return rewards.filter(active=True) if active_only else rewards


def coupons_of(user: Any) -> QuerySet[Coupon]:
    """The coupons the user sees: those of no one in particular and their customers'."""
    customers = visible(user, Customer).values("pk")
    return Coupon.objects.filter(Q(customer__isnull=True) | Q(customer_id__in=customers))


def coupons_list(*, user: Any, active_only: bool = False) -> QuerySet[Coupon]:
    found = coupons_of(user).select_related("customer")
    return found.filter(active=True) if active_only else found


def coupon_redemptions_of(user: Any) -> QuerySet[CouponRedemption]:
    customers = visible(user, Customer).values("pk")
    return CouponRedemption.objects.filter(customer_id__in=customers)


@dataclass(frozen=True)
class CouponDetail:
    coupon: Coupon
    redemptions: list[CouponRedemption]
    released: int


def coupon_detail(*, user: Any, coupon_id: int, limit: int = 200) -> CouponDetail | None:
    """A coupon and its uses among the customers the user sees; None outside their book."""
    coupon = coupons_list(user=user).filter(pk=coupon_id).first()
    if coupon is None:
        return None
    uses = coupon_redemptions_of(user).filter(coupon=coupon).select_related("customer", "by")
    shown = list(uses[:limit])
    return CouponDetail(coupon, shown, sum(1 for u in shown if u.released_at is not None))


def reward_redemptions_of(user: Any) -> QuerySet[RewardRedemption]:
    customers = visible(user, Customer).values("pk")
    return RewardRedemption.objects.filter(customer_id__in=customers)


def customer_coupons(*, user: Any, customer_id: int) -> list[Coupon]:
    return list(coupons_of(user).filter(customer_id=customer_id))


MAIL_COUPONS = 10


def coupons_for_mail(*, customer_id: int, now: datetime) -> list[dict[str, str]]:
    """The customer's own coupons they may still use (active, not voided, in their dates,
    uses left), newest first, as plain values an email template prints: ``{{ coupons[0].code
    }}`` after a playbook's "Issue a coupon" step. Put in the message when it is queued (the
    sender renders without the database)."""
    live = (
        Coupon.objects.filter(customer_id=customer_id, active=True, voided_at__isnull=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .order_by("-created_at", "-pk")[:MAIL_COUPONS]
    )
    return [
        {"code": c.code, "kind": c.kind, "value": f"{c.value:f}", "description": c.description,
         "min_order": "" if c.min_order is None else f"{c.min_order:f}",
         "expires_at": c.expires_at.isoformat() if c.expires_at else ""}
        for c in live
    ]  # fmt: skip


def coupon_validate(
    *,
    by: User | None,
    code: str,
    customer_id: int,
    now: datetime,
    order_id: int | None = None,
    order_amount: Decimal | None = None,
) -> rules.Verdict:
    """Whether ``code`` may be used now by the customer on this order, and its discount, or
    the reason in words; nothing is written. An unknown code is a verdict too ("unknown")."""
    customer = customer_of(by, customer_id, Action.VIEW)
    order = order_of(by, order_id, customer, Action.VIEW) if order_id is not None else None
    amount = amount_parse(order_amount, "order_amount")
    if amount is None:
        if order is None:
            raise ValidationError({"order_amount": ["give the order or the order's amount"]})
        amount = order.amount
    coupon = Coupon.objects.filter(code=code_parse(code)).first()
    if coupon is None:
        return rules.Verdict(False, Decimal("0.00"), False, "unknown", "code",
                             "no coupon with this code")  # fmt: skip
    uses = CouponRedemption.objects.filter(
        coupon=coupon, customer=customer, released_at__isnull=True
    ).count()
    return rules.verdict(
        terms_of(coupon), customer_id=customer.pk, order_amount=amount, now=now,
        uses=coupon.uses, customer_uses=uses,
    )  # fmt: skip


def reward_get(*, reward_id: int) -> Reward | None:
    return Reward.objects.filter(pk=reward_id).first()
