"""Reads of referral rewards under the role policy: the program's settings, a customer's live
code and the referrals it brought, the attributions a user sees (the book of either side, as
for the feedback app's referrals), and a code read for the public link page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.domain import referrals as rules
from tenure.referrals.models import ReferralAttribution, ReferralCode, ReferralProgram


def program() -> ReferralProgram:
    """The program's settings (the one row, made with the defaults when first read)."""
    found = ReferralProgram.objects.order_by("pk").first()
    if found is None:
        ReferralProgram.objects.bulk_create([ReferralProgram(pk=1)], ignore_conflicts=True)
        found = ReferralProgram.objects.order_by("pk").first()
    assert found is not None
    return found


def live_code(customer_id: int) -> ReferralCode | None:
    return ReferralCode.objects.filter(customer_id=customer_id, revoked_at__isnull=True).first()


def code_find(text: str) -> ReferralCode | None:
    """The code as typed (any case, hyphens), revoked or not; None when there is none."""
    code = rules.code_normalise(text)
    if not rules.code_is_well_formed(code):
        return None
    return ReferralCode.objects.select_related("customer").filter(code=code).first()


def attributions_visible(*, user: Any) -> QuerySet[ReferralAttribution]:
    """The attributions whose referrer or referred customer the user sees (None: all)."""
    rows = ReferralAttribution.objects.select_related("referrer", "referred", "override_by")
    if user is None:
        return rows
    seen = visible(user, Customer).values("pk")
    return rows.filter(Q(referrer_id__in=seen) | Q(referred_id__in=seen))


@dataclass(frozen=True)
class CustomerReferrals:
    customer: Customer
    code: ReferralCode | None
    made: list[ReferralAttribution]
    received: ReferralAttribution | None


def customer_referrals(*, user: Any, customer_id: int, limit: int = 20) -> CustomerReferrals | None:
    """A customer's live code, the referrals they made and the one that brought them; None
    outside the user's book."""
    customer = visible(user, Customer).filter(pk=customer_id).first()
    if customer is None:
        return None
    made = ReferralAttribution.objects.filter(referrer_id=customer_id).select_related("referred")
    received = ReferralAttribution.objects.filter(referred_id=customer_id).first()
    return CustomerReferrals(customer, live_code(customer_id), list(made[:limit]), received)


def person_referrals(customer: Customer) -> dict[str, Any]:
    """A person's codes and the referral rewards of either side, for their export."""
    codes = ReferralCode.objects.filter(customer=customer).order_by("created_at", "id")
    theirs = ReferralAttribution.objects.filter(Q(referrer=customer) | Q(referred=customer))
    return {
        "referral_codes": [
            {"code": c.code, "created_at": c.created_at.isoformat(),
             "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None}
            for c in codes
        ],
        "referral_rewards": [
            {"id": a.pk, "side": "referrer" if a.referrer_id == customer.pk else "referred",
             "status": a.status, "reason": a.reason, "attributed_at": a.attributed_at.isoformat(),
             "rewarded_at": a.rewarded_at.isoformat() if a.rewarded_at else None,
             "points": a.referrer_points if a.referrer_id == customer.pk else a.referred_points}
            for a in theirs.order_by("attributed_at", "id")
        ],
    }  # fmt: skip
