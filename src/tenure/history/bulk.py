"""Change history written set-wise, for writes that bypass the ORM's save (CSV imports).

django-auditlog writes one entry per ``save()``; an import stores tens of thousands of rows per
statement, so it writes their history itself, a batch at a time, in the same transaction:
records it changed get the same ``LogEntry`` rows (who, when, per field [before, after]) a save
would leave, plus ``additional_data`` naming the import; records it created get one
``BulkCreation`` row per run of consecutive ids (``creations_record``), their values read back
with the history. Values are kept as JSON (``AUDITLOG_STORE_JSON_CHANGES``): datetimes and
decimals as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from tenure.history.models import BulkCreation

UPDATE = LogEntry.Action.UPDATE
_BULK_ROWS = 5000


@dataclass(frozen=True, slots=True)
class Author:
    """Who made a bulk change and as part of what: the actor (None: the operator at the command
    line) and what the entries' ``additional_data`` says (``{"import": ...}``)."""

    actor_id: int | None
    data: Mapping[str, Any]


_ENCODER = DjangoJSONEncoder()


def value_plain(value: Any) -> Any:
    """A value as it goes in the changes' JSON (a datetime or a decimal as its text)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return _ENCODER.default(value)


def changes_of(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Per field of ``after`` that differs from ``before``, [before, after] (a record's
    creation is recorded with its run of ids, ``creations_record``)."""
    return {
        name: [value_plain(before.get(name)), value_plain(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def log_entries_create(
    *,
    model: type[models.Model],
    entries: Iterable[tuple[int, str, int, Mapping[str, list[Any]]]],
    author: Author,
) -> int:
    """Write one history entry per (record id, repr, action, changes); returns how many.

    An update whose changes are empty is not a change and leaves no entry. The rows go to the
    table as they are (no model instance per entry: a batch is tens of thousands).
    """
    content_type = ContentType.objects.get_for_model(model).pk
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    data = json.dumps(dict(author.data), cls=DjangoJSONEncoder)
    rows = [
        (
            content_type,
            str(pk),
            pk,
            text[:1000],
            action,
            json.dumps(changes, cls=DjangoJSONEncoder),
            author.actor_id,
            now,
            data,
        )
        for pk, text, action, changes in entries
        if changes or action != UPDATE
    ]
    if not rows:
        return 0
    json_type = "::jsonb" if connection.vendor == "postgresql" else ""
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    sql = (
        f"INSERT INTO {table} (content_type_id, object_pk, object_id, object_repr, action, "  # noqa: S608 -- names from the model
        "changes, changes_text, actor_id, timestamp, additional_data) "
        f"VALUES (%s, %s, %s, %s, %s, %s{json_type}, '', %s, %s, %s{json_type})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BULK_ROWS):
            cursor.executemany(sql, rows[start : start + _BULK_ROWS])
    return len(rows)


def log_entries_insert_select(
    *, model: type[models.Model], select: str, params: Sequence[Any], author: Author
) -> int:
    """Write history entries from a query, never through Python (PostgreSQL, for the largest
    batches): ``select`` yields rows of (record id, repr text, action, changes jsonb).
    Returns how many were written."""
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    sql = (
        f"INSERT INTO {table} (content_type_id, object_pk, object_id, object_repr, action, "  # noqa: S608 -- names from the model
        "changes, changes_text, actor_id, timestamp, additional_data) "
        "SELECT %s, e.id::text, e.id, e.repr, e.action, e.changes, '', %s, %s, %s::jsonb "
        f"FROM ({select}) AS e(id, repr, action, changes)"
    )
    content_type = ContentType.objects.get_for_model(model)
    data = json.dumps(dict(author.data), cls=DjangoJSONEncoder)
    with connection.cursor() as cursor:
        cursor.execute(sql, [content_type.pk, author.actor_id, timezone.now(), data, *params])
        return int(cursor.rowcount)


def id_runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """``ids`` as runs of consecutive ids, (first, last) each, in order."""
    runs: list[tuple[int, int]] = []
    for pk in sorted(set(ids)):
        if runs and runs[-1][1] == pk - 1:
            runs[-1] = (runs[-1][0], pk)
        else:
            runs.append((pk, pk))
    return runs


def creations_record(
    *,
    model: type[models.Model],
    runs: Iterable[tuple[int, int]],
    fields: Sequence[str],
    author: Author,
) -> int:
    """Record that ``author`` created the records of these runs of ids (``id_runs``), setting
    ``fields`` (named as the history names them: a foreign key by its field's name): their
    creation entries. Returns how many runs were recorded."""
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    rows = [
        BulkCreation(
            content_type=content_type,
            first_id=first,
            last_id=last,
            fields=list(fields),
            actor_id=author.actor_id,
            at=now,
            data=dict(author.data),
        )
        for first, last in runs
    ]
    BulkCreation.objects.bulk_create(rows)
    return len(rows)
