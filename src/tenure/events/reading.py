"""Reading events in order, never passing one that may still appear before.

Ids are drawn from a sequence when a row is written, not when its transaction commits: a
transaction that drew id 10 may commit after the one that drew id 11. A reader that took 11
and remembered "after 11" would never see 10. On PostgreSQL each event carries the id of the
transaction that wrote it (``tx``), and a reader takes only events of transactions older than
every writing transaction still running in this database (``_HORIZON``), in ``(tx, id)``
order: whatever commits later has a larger ``tx`` than anything read, so a position
``(tx, id)`` is never passed by a late commit. The reader's own transaction counts among the
running ones: a consumer's batch takes an id when it locks its position and then records
events of its own (a stage entered, a task opened), so it reads nothing younger than itself,
or its position would pass the events it writes. It reads its own events (a test's
transaction that wrote and reads them) when nothing older still runs. On SQLite one
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


# The horizon (the oldest transaction still running in this database, else the snapshot's
# xmax: events of older transactions are settled), the oldest other one alone (NULL: none)
# and the reader's own. Running xids are 32-bit, made 64-bit against the xmax, which every
# running xid is within 2^31 of. Transactions in other databases of the server hold nothing
# back. Sessions whose details this role may not read (another role's, without
# pg_read_all_stats) cannot be seen: then the server-wide xmin is used, which is safe.
_HORIZON = """
WITH seen AS (
    SELECT s.xmax, s.xmin,
           COUNT(*) FILTER (WHERE a.query = '<insufficient privilege>') > 0 AS hidden,
           MIN(s.xmax - mod(mod(s.xmax, 4294967296) - a.backend_xid::text::bigint
               + 4294967296, 4294967296)) AS oldest
    FROM (SELECT txid_snapshot_xmax(txid_current_snapshot()) AS xmax,
                 txid_snapshot_xmin(txid_current_snapshot()) AS xmin) AS s
    LEFT JOIN pg_stat_activity AS a
      ON a.datname = current_database() AND a.pid <> pg_backend_pid()
     AND (a.backend_xid IS NOT NULL OR a.query = '<insufficient privilege>')
    GROUP BY s.xmax, s.xmin
)
SELECT CASE WHEN hidden THEN xmin ELSE LEAST(xmax, oldest) END,
       CASE WHEN hidden THEN xmin ELSE oldest END,
       txid_current_if_assigned()
FROM seen
"""


def _settled() -> Q:
    """Events no running transaction can still come before (PostgreSQL; all on SQLite)."""
    if connection.vendor != "postgresql":
        return Q()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # not the transaction's cached view
        cursor.execute(_HORIZON)
        horizon, oldest_other, own = cursor.fetchone()
    if own is None:
        return Q(tx__lt=horizon)
    # A transaction that reads and then writes events (a consumer's batch, whose handler
    # records what it did) reads nothing younger than itself: what it writes is read after it.
    settled = Q(tx__lt=min(horizon, own))
    if oldest_other is None or own <= oldest_other:
        settled |= Q(tx=own)  # its own, when no older transaction still runs
    return settled


def _after(position: Position) -> Q:
    if connection.vendor == "postgresql":  # read as a range of the (tx, id) index
        after = RawSQL(
            "(tx, id) > (%s, %s)", (position.tx, position.event_id), output_field=BooleanField()
        )
        return Q(after)
    # SQLite reads a row comparison as ``tx > ?`` and filters every event of tx 0 after it:
    # a scan of the whole table at every drain. Every event's tx is 0 there.
    if position.tx < 0:
        return Q()
    return Q(tx=position.tx, id__gt=position.event_id)


def events_after(
    position: Position,
    *,
    limit: int,
    kinds: Collection[str] | None = None,
    queryset: QuerySet[Event] | None = None,
) -> list[Event]:
    """Up to ``limit`` settled events after ``position``, in order (of ``kinds`` if given)."""
    events = (queryset if queryset is not None else Event.objects.all()).filter(_after(position))
    if kinds is not None:
        events = events.filter(kind__in=list(kinds))
    return list(events.filter(_settled()).order_by("tx", "id")[:limit])


def events_held_back() -> bool:
    """Whether committed events wait behind a transaction still running (PostgreSQL): a
    drain now would not see them yet. Asked outside any transaction that wrote events."""
    if connection.vendor != "postgresql":
        return False
    return Event.objects.exclude(_settled()).exists()


def end_position() -> Position:
    """Just after the last settled event (where a new follower starts if told to skip the past)."""
    last = Event.objects.filter(_settled()).order_by("-tx", "-id").first()
    return Position.of(last) if last is not None else Position()
