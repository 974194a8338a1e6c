"""The rewards app's events, each keyed by the request's key (so a retried request announces
nothing twice): ``reward.redeemed`` / ``reward.cancelled`` and ``coupon.redeemed`` /
``coupon.released``. Ids and amounts only, never a code (a code is a bearer secret)."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent, events_record
from tenure.rewards.models import CouponRedemption, RewardRedemption

REWARD_REDEEMED = EventKind("reward.redeemed", "A customer bought a reward with points.")
REWARD_CANCELLED = EventKind("reward.cancelled", "A reward's redemption was cancelled.")
COUPON_REDEEMED = EventKind("coupon.redeemed", "A coupon was used on an order.")
COUPON_RELEASED = EventKind("coupon.released", "A coupon's use was given back (order voided).")
KINDS = (REWARD_REDEEMED, REWARD_CANCELLED, COUPON_REDEEMED, COUPON_RELEASED)
event_kinds_register(*KINDS)


def reward_announce(redemption: RewardRedemption, kind: EventKind) -> int:
    return events_record([
        NewEvent(
            kind.name, "reward_redemption", redemption.pk, redemption.customer_id,
            data={"reward_id": redemption.reward_id, "points": redemption.points,
                  "coupon_id": redemption.coupon_id},
            key=f"{kind.name}:{redemption.key}",
        )
    ])  # fmt: skip


def coupon_announce(redemption: CouponRedemption, kind: EventKind) -> int:
    return events_record([
        NewEvent(
            kind.name, "coupon_redemption", redemption.pk, redemption.customer_id,
            data={"coupon_id": redemption.coupon_id, "order_id": redemption.order_id,
                  "discount": str(redemption.discount)},
            key=f"{kind.name}:{redemption.key}",
        )
    ])  # fmt: skip
