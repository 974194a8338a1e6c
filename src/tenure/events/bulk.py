"""Writing the events of a bulk write in one statement (PostgreSQL's import path).

The select gives, per event: kind, key, customer_id, subject, subject_id, at, data (jsonb);
who and by which path are added here, as ``events_record`` adds them. Keys already written are
skipped (a batch stored again writes no event twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from tenure.events.models import Event
from tenure.events.record import current_actor_id, current_via, events_recorded

_COLUMNS = ("kind", "key", "customer_id", "subject", "subject_id", "at", "data")


def events_insert_select(select: str, params: Sequence[Any]) -> int:
    """Write the events ``select`` (SQL with ``%s`` parameters) gives; how many were new."""
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in (*_COLUMNS, "via", "actor_id"))
    sql = (
        f"INSERT INTO {table} ({columns}, recorded_at) "  # noqa: S608 -- names from the model
        f"SELECT e.*, %s, %s, CURRENT_TIMESTAMP FROM ({select}) AS e "
        f"ON CONFLICT (key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        # The outer SELECT's two placeholders come before the select's own in the text.
        cursor.execute(sql, [current_via(), current_actor_id(), *params])
        written = cursor.rowcount
    if written:
        events_recorded()
    return written
