"""Reads of the change history: django-auditlog's entries and the creations a bulk write
recorded once for a run of ids (``tenure.history.models.BulkCreation``), as one list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Field, Model

from tenure.history.bulk import value_plain
from tenure.history.models import BulkCreation


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of a record: its number (None for a creation recorded with its whole
    batch), what (create, update, delete, access), when, by whom (None: the operator or the
    system), per field [before, after], and what it was part of (``{"import": ...}``)."""

    id: int | None
    action: str
    at: datetime
    actor: AbstractBaseUser | None
    changes: dict[str, list[Any]]
    data: dict[str, Any]


def _logged(entry: LogEntry) -> HistoryEntry:
    data = entry.additional_data
    return HistoryEntry(
        id=entry.pk,
        action=LogEntry.Action.choices[entry.action][1].lower(),
        at=entry.timestamp,
        actor=entry.actor,
        changes=entry.changes_dict,
        data=data if isinstance(data, dict) else {},
    )


def _value_now(record: Model, name: str) -> Any:
    """A field's value as the history holds it (a foreign key: the id)."""
    field = record._meta.get_field(name)
    return value_plain(getattr(record, field.attname if isinstance(field, Field) else name))


def _created_in_bulk(record: Model, content_type: ContentType) -> HistoryEntry | None:
    """The creation of ``record`` by a bulk write, if one made it: the values it set are
    each field's value before its first later change, or its value now."""
    run = (
        BulkCreation.objects.filter(
            content_type=content_type, first_id__lte=record.pk, last_id__gte=record.pk
        )
        .select_related("actor")
        .order_by("-first_id")
        .first()
    )
    if run is None:
        return None
    values = {name: _value_now(record, name) for name in run.fields}
    unseen = set(values)
    later = LogEntry.objects.filter(
        content_type=content_type, object_id=record.pk, timestamp__gte=run.at
    ).order_by("timestamp", "id")
    for entry in later.iterator():
        for name in unseen & entry.changes_dict.keys():
            values[name] = entry.changes_dict[name][0]
            unseen.discard(name)
        if not unseen:
            break
    return HistoryEntry(
        id=None,
        action="create",
        at=run.at,
        actor=run.actor,
        changes={name: [None, value] for name, value in values.items() if value is not None},
        data=dict(run.data),
    )


def history_of(*, record: Model, limit: int | None = None) -> list[HistoryEntry]:
    """Every recorded change of ``record`` (the ``limit`` newest), newest first.

    The caller has already checked that the user may see ``record``: its history is part of it.
    """
    content_type = ContentType.objects.get_for_model(type(record))
    logged = (
        LogEntry.objects.filter(content_type=content_type, object_id=record.pk)
        .select_related("actor")
        .order_by("-timestamp", "-id")
    )
    entries = [_logged(entry) for entry in (logged[:limit] if limit is not None else logged)]
    created = _created_in_bulk(record, content_type)
    if created is not None:
        entries.append(created)
        # A creation comes before every change made at the same moment.
        entries.sort(key=lambda e: (e.at, e.id is not None, e.id or 0), reverse=True)
    return entries[:limit] if limit is not None else entries


def history_entry_view(entry: HistoryEntry) -> dict[str, Any]:
    """One entry as plain data: action, when, who, which import (a web job's number or a
    file's name; None when not made by one), and per field [before, after]."""
    return {
        "id": entry.id,
        "action": entry.action,
        "at": entry.at,
        "actor": entry.actor.get_username() if entry.actor else None,
        "changes": entry.changes,
        "import": entry.data.get("import"),
    }
