"""Writing the events of a bulk write in one statement (PostgreSQL's import path).

The select gives, per event: kind, key, customer_id, subject, subject_id, at, data (jsonb);
who and by which path are added here, as ``events_record`` adds them. Keys already written are
skipped (a batch stored again writes no event twice).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

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
        cursor.execute(sql, [current_via(), current_actor_id(), *params])  # in the text's order
        written = cursor.rowcount
    if written:
        events_recorded()
    return written


_TEMP = "tenure_events_staging"
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def events_write_rows(rows: Sequence[tuple[Any, ...]]) -> int:
    """Write many events given as (kind, key, customer_id, subject, subject_id, at, data)
    tuples (``at`` a datetime or ISO text with its offset, ``data`` a dict or its JSON text),
    skipping keys already written: a recompute's stage moves, a
    million of them on a first recompute. PostgreSQL: ``COPY`` into a temporary table, then
    one ``INSERT ... ON CONFLICT DO NOTHING``; SQLite: ``INSERT OR IGNORE`` per row."""
    if not rows:
        return 0
    table = connection.ops.quote_name(Event._meta.db_table)
    names = (*_COLUMNS, "via", "actor_id", "recorded_at")
    columns = ", ".join(connection.ops.quote_name(c) for c in names)
    via, actor = current_via(), current_actor_id()
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_TEMP} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            tail = f"\t{via}\t{_n(actor)}\t{now.isoformat()}\n"
            lines = [
                f"{kind}\t{key}\t{_n(customer)}\t{subject}\t{_n(subject_id)}\t{_iso(at)}"
                f"\t{_json(data).translate(_ESCAPE)}{tail}"
                for kind, key, customer, subject, subject_id, at, data in rows
            ]
            with cursor.cursor.copy(f"COPY {_TEMP} ({columns}) FROM STDIN") as copy:
                copy.write("".join(lines))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_TEMP} "  # noqa: S608
                f"ON CONFLICT (key) DO NOTHING"
            )
            written = cursor.rowcount
            cursor.execute(f"TRUNCATE {_TEMP}")
        else:
            adapt = connection.ops.adapt_datetimefield_value
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                [
                    (k, key, c, s, i, adapt(_moment(at)), _json(data), via, actor, adapt(now))
                    for k, key, c, s, i, at, data in rows
                ],
            )
            written = cursor.rowcount  # summed over the rows (sqlite3's executemany)
    if written:
        events_recorded()
    return written


def _iso(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.isoformat()


def _moment(at: datetime | str) -> datetime:
    return datetime.fromisoformat(at) if isinstance(at, str) else at


def _json(data: dict[str, Any] | str) -> str:
    return data if isinstance(data, str) else json.dumps(data)


def _n(value: Any) -> str:
    return r"\N" if value is None else str(value)
