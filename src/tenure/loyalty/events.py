"""The loyalty app's events: one per ledger entry, keyed by the entry's source key (so an entry
written again, a retried request or a batch handled twice, announces nothing twice). Ids and
numbers only; segments and playbooks follow them (the balance is a fact)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent, events_record
from tenure.loyalty.models import PointsEntry

KINDS = {
    "earn": EventKind("loyalty.earned", "A customer earned loyalty points."),
    "redeem": EventKind("loyalty.redeemed", "A customer redeemed loyalty points."),
    "expire": EventKind("loyalty.expired", "A lot of loyalty points expired unspent."),
    "adjust": EventKind("loyalty.adjusted", "A team member adjusted a customer's points."),
    "reverse": EventKind("loyalty.reversed", "A refund reversed the points an order earned."),
    "restore": EventKind("loyalty.restored", "A cancelled redemption gave its points back."),
}
TIER_CHANGED = EventKind(
    "loyalty.tier_changed",
    "A customer's loyalty tier went up (qualified) or down (at a review), with the reason.",
)
CHALLENGE_COMPLETED = EventKind(
    "loyalty.challenge_completed",
    "A customer completed a loyalty challenge and earned its bonus points (once).",
)
event_kinds_register(*KINDS.values(), TIER_CHANGED, CHALLENGE_COMPLETED)


def entry_event(entry: PointsEntry) -> NewEvent:
    kind = KINDS[entry.kind]
    return NewEvent(
        kind.name, "points_entry", entry.pk, entry.customer_id,
        data={"points": entry.points, "written_off": entry.written_off},
        key=f"{kind.name}:{entry.source_key}",
    )  # fmt: skip


def entries_announce(entries: Iterable[PointsEntry]) -> int:
    return events_record(entry_event(entry) for entry in entries)


def tier_event(
    *, customer_id: int, seq: int, change_id: int, at: datetime, data: Mapping[str, object]
) -> NewEvent:
    """Keyed by the customer's change number: an evaluation redone announces nothing twice."""
    return NewEvent(
        TIER_CHANGED.name, "tier_change", change_id, customer_id, at=at, data=data,
        key=f"{TIER_CHANGED.name}:{customer_id}:{seq}",
    )  # fmt: skip
