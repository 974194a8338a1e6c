"""The loyalty app's events: one per ledger entry, keyed by the entry's source key (so an entry
written again, a retried request or a batch handled twice, announces nothing twice). Ids and
numbers only; segments and playbooks follow them (the balance is a fact)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.models import Event
from tenure.events.record import (
    NewEvent,
    current_actor_id,
    current_via,
    events_record,
    events_recorded,
)
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


def entries_announce_select(kind: str, select: str, params: Sequence[Any]) -> int:
    """``entries_announce`` set-wise: an event of ``kind`` (an entry kind) per row of
    ``select`` (SQL giving ``source_key, customer_id, entry_id, points, written_off``), with
    the fields ``entry_event`` and ``events_record`` give, in one ``INSERT ... SELECT``; a key
    known already is skipped. How many were new."""
    name = KINDS[kind].name
    quote = connection.ops.quote_name
    columns = ("kind", "key", "customer_id", "subject", "subject_id", "at", "via", "actor_id",
               "data", "recorded_at")  # fmt: skip
    data = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 -- model names
        f"SELECT %s, %s || s.source_key, s.customer_id, 'points_entry', s.entry_id, %s, %s, "
        f"%s, {data}('points', s.points, 'written_off', s.written_off), %s "
        f"FROM ({select}) s WHERE true ORDER BY s.entry_id ON CONFLICT (key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [name, f"{name}:", now, current_via(), current_actor_id(), now, *params]
        )
        written = cursor.rowcount
    if written:
        events_recorded()
    return written


def tier_event(
    *, customer_id: int, seq: int, change_id: int, at: datetime, data: Mapping[str, object]
) -> NewEvent:
    """Keyed by the customer's change number: an evaluation redone announces nothing twice."""
    return NewEvent(
        TIER_CHANGED.name, "tier_change", change_id, customer_id, at=at, data=data,
        key=f"{TIER_CHANGED.name}:{customer_id}:{seq}",
    )  # fmt: skip
