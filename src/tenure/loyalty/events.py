"""The loyalty app's events: one per ledger entry, keyed by the entry's source key (so an entry
written again, a retried request or a batch handled twice, announces nothing twice). Ids and
numbers only; segments and playbooks follow them (the balance is a fact)."""

from __future__ import annotations

from collections.abc import Iterable

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
event_kinds_register(*KINDS.values())


def entry_event(entry: PointsEntry) -> NewEvent:
    kind = KINDS[entry.kind]
    return NewEvent(
        kind.name, "points_entry", entry.pk, entry.customer_id,
        data={"points": entry.points, "written_off": entry.written_off},
        key=f"{kind.name}:{entry.source_key}",
    )  # fmt: skip


def entries_announce(entries: Iterable[PointsEntry]) -> int:
    return events_record(entry_event(entry) for entry in entries)
