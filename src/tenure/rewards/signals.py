"""A person's export lists the coupons tied to them and their uses, and the rewards they
bought (``tenure.privacy``). Erasure voids the unused coupons tied to them (no one may use
them any more) and keeps the rest: codes, amounts and ids, no personal text."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    from tenure.rewards.models import Coupon, CouponRedemption, RewardRedemption

    coupons = Coupon.objects.filter(customer=customer).order_by("id")
    uses = CouponRedemption.objects.filter(customer=customer).order_by("id")
    rewards = RewardRedemption.objects.filter(customer=customer).select_related("reward")
    return {
        "coupons": [
            {"code": c.code, "kind": c.kind, "value": str(c.value), "uses": c.uses,
             "expires_at": c.expires_at.isoformat() if c.expires_at else None,
             "active": c.active}
            for c in coupons
        ],
        "coupon_redemptions": [
            {"coupon_id": u.coupon_id, "order_id": u.order_id, "discount": str(u.discount),
             "created_at": u.created_at.isoformat(),
             "released_at": u.released_at.isoformat() if u.released_at else None}
            for u in uses
        ],
        "reward_redemptions": [
            {"reward": r.reward.name, "points": r.points, "created_at": r.created_at.isoformat(),
             "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None}
            for r in rewards.order_by("id")
        ],
    }  # fmt: skip


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    from django.utils import timezone

    from tenure.rewards.models import Coupon

    unused = Coupon.objects.filter(customer=customer, uses=0, active=True)
    voided = unused.update(active=False, voided_at=timezone.now())
    return {"coupons_voided": voided}, []
