"""Reads of the change history."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet


def history_of(*, record: Model) -> QuerySet[LogEntry]:
    """Every recorded change of ``record``, newest first, with who made it.

    The caller has already checked that the user may see ``record``: its history is part of it.
    """
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )
        .select_related("actor")
        .order_by("-timestamp", "-id")
    )


def history_entry_view(entry: LogEntry) -> dict[str, Any]:
    """One entry as plain data: action, when, who, which import (a web job's number or a
    file's name; None when not made by one), and per field [before, after]."""
    return {
        "id": entry.pk,
        "action": LogEntry.Action.choices[entry.action][1].lower(),
        "at": entry.timestamp,
        "actor": entry.actor.get_username() if entry.actor else None,
        "changes": entry.changes_dict,
        "import": (entry.additional_data or {}).get("import")
        if isinstance(entry.additional_data, dict)
        else None,
    }
