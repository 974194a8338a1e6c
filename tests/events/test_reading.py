"""Reading after a position: the events after it in order, found through the ``(tx, id)``
index on either database, never by reading every event before it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tenure.events.models import Event
from tenure.events.reading import Position, _after, events_after
from tenure.events.record import NewEvent, events_record

pytestmark = pytest.mark.django_db


def _record(count: int) -> list[Event]:
    events_record(
        [NewEvent("import.committed", "import", None, None, key=f"k{n}") for n in range(count)]
    )
    return list(Event.objects.order_by("tx", "id"))


def test_after_a_position_come_the_next_events_in_order():
    events = _record(5)
    start = Position.of(events[1])
    assert [e.pk for e in events_after(start, limit=10)] == [e.pk for e in events[2:]]
    assert [e.pk for e in events_after(start, limit=2)] == [e.pk for e in events[2:4]]
    assert [e.pk for e in events_after(Position(), limit=10)] == [e.pk for e in events]
    assert events_after(Position.of(events[-1]), limit=10) == []


def test_a_position_no_event_can_hold_is_answered_as_such():
    events = _record(3)
    # A cursor a client made up: one past every transaction reads nothing, one before all
    # reads everything.
    assert events_after(Position(tx=events[-1].tx + 1, event_id=0), limit=10) == []
    assert [e.pk for e in events_after(Position(tx=-1, event_id=0), limit=10)] == [
        e.pk for e in events
    ]


def test_the_read_starts_at_the_position_in_the_index():
    # SQLite takes a row comparison ``(tx, id) > (?, ?)`` as ``tx > ?`` and filtered every
    # event of tx 0 after it: a scan of the whole table at every drain. PostgreSQL reads the
    # row comparison as a range of the same index (forced here: a tiny table is scanned).
    _record(3)
    query = Event.objects.filter(_after(Position(0, 2))).order_by("tx", "id")[:10]
    sql, params = query.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
            assert "events_order" in plan and "ROW(tx, id) > ROW(" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "events_order (tx=? AND id>?)" in plan, plan
