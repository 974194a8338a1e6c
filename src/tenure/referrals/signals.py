"""A person's export lists their referral codes and the referral rewards of either side;
erasure removes their codes (a code leads to them: the link page names their first name) and
the words of an admin's override about them. The attributions stay: ids, statuses and
points, the business's record of what it paid (the points are the ledger's, kept too)."""

from __future__ import annotations

from typing import Any

ERASED = "[erased]"


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    from tenure.referrals.selectors import person_referrals

    return person_referrals(customer)


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    from django.db.models import Q

    from tenure.referrals.models import ReferralAttribution, ReferralCode

    codes, _ = ReferralCode.objects.filter(customer=customer).delete()
    theirs = ReferralAttribution.objects.filter(Q(referrer=customer) | Q(referred=customer))
    said = list(theirs.exclude(override_reason=""))
    ReferralAttribution.objects.filter(pk__in=[a.pk for a in said]).update(override_reason=ERASED)
    return {"referral_codes": codes, "referral_overrides": len(said)}, said
