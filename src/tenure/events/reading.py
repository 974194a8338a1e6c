"""Reading events in order, never passing one that may still appear before.

Ids are drawn from a sequence when a row is written, not when its transaction commits: a
transaction that drew id 10 may commit after the one that drew id 11. A reader that took 11
and remembered "after 11" would never see 10. On PostgreSQL each event carries the id of the
transaction that wrote it (``tx``), and a reader takes only events of transactions older than
every transaction still running (``txid_snapshot_xmin``), in ``(tx, id)`` order: whatever
commits later has a larger ``tx`` than anything read, so a position ``(tx, id)`` is never
passed by a late commit. (A transaction that wrote events and reads them itself, as a test's
does, sees its own too: nothing else can come before them in its own view.) On SQLite one
transaction writes at a time, so ids commit in order and ``tx`` is 0.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from tenure.events.models import Event


@dataclass(frozen=True, order=True)
class Position:
    """Just after the event ``(tx, event_id)``; ``Position()`` is before the first event."""

    tx: int = 0
    event_id: int = 0

    def token(self) -> str:
        """The position as a cursor a client gives back (``"tx.id"``)."""
        return f"{self.tx}.{self.event_id}"

    @classmethod
    def parse(cls, token: str) -> Position:
        """A cursor back into a position; ValueError when it is not one."""
        tx, _, event_id = token.partition(".")
        if not (tx.isdigit() and event_id.isdigit()) or len(token) > 41:
            raise ValueError("not an events cursor: give back the next_cursor of a page")
        return cls(int(tx), int(event_id))

    @classmethod
    def of(cls, event: Event) -> Position:
        return cls(event.tx, event.pk)


def _settled() -> Q:
    """Events no running transaction can still come before (PostgreSQL; all on SQLite)."""
    if connection.vendor != "postgresql":
        return Q()
    sql = "(tx < txid_snapshot_xmin(txid_current_snapshot()) OR tx = txid_current_if_assigned())"
    return Q(RawSQL(sql, (), output_field=BooleanField()))  # noqa: S611 -- no parameters


def events_after(
    position: Position,
    *,
    limit: int,
    kinds: Collection[str] | None = None,
    queryset: QuerySet[Event] | None = None,
) -> list[Event]:
    """Up to ``limit`` settled events after ``position``, in order (of ``kinds`` if given)."""
    after = RawSQL(
        "(tx, id) > (%s, %s)", (position.tx, position.event_id), output_field=BooleanField()
    )
    events = (queryset if queryset is not None else Event.objects.all()).filter(Q(after))
    if kinds is not None:
        events = events.filter(kind__in=list(kinds))
    return list(events.filter(_settled()).order_by("tx", "id")[:limit])


def end_position() -> Position:
    """Just after the last settled event (where a new follower starts if told to skip the past)."""
    last = Event.objects.filter(_settled()).order_by("-tx", "-id").first()
    return Position.of(last) if last is not None else Position()
