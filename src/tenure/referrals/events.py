"""The referral rewards' events, each once (keyed by the attribution): a referral blocked as a
self-referral, unblocked by an admin, rewarded, not rewarded. About the referrer (the
advocate); ids, points and the reason in words, never an address. The referral's own events
(made, changed: signed up, purchased) are the feedback app's."""

from __future__ import annotations

from typing import Any

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent, events_record
from tenure.referrals.models import ReferralAttribution

BLOCKED = EventKind("referral.blocked", "A referral was blocked as a self-referral.")
UNBLOCKED = EventKind("referral.unblocked", "An admin unblocked a blocked referral.")
REWARDED = EventKind("referral.rewarded", "Both sides of a referral were rewarded.")
NOT_REWARDED = EventKind(
    "referral.not_rewarded", "A referral's first order was refunded, cancelled or deleted."
)
KINDS = (BLOCKED, UNBLOCKED, REWARDED, NOT_REWARDED)
event_kinds_register(*KINDS)


def attribution_announce(kind: EventKind, attribution: ReferralAttribution, **data: Any) -> None:
    events_record([
        NewEvent(
            kind.name, "referral_attribution", attribution.pk, attribution.referrer_id,
            data={"referred_customer_id": attribution.referred_id,
                  "referral_id": attribution.referral_id, **data},
            key=f"{kind.name}:{attribution.pk}",
        )
    ])  # fmt: skip
