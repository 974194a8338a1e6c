"""Voices in bulk: a CSV file (``tenure voices import FILE``) or an API batch
(``POST /api/v1/voices/batch``), each entry through ``services.voice_record`` in a savepoint of
its own, so one bad row is reported (its line or index, field and reason) and the others are
stored; a file or batch sent again changes nothing (upsert on source name and external id).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.access import visible
from tenure.access.records import require_change
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.limits import text_problem
from tenure.domain.records import ImportFileError, ImportRowError, instant_parse
from tenure.users.models import User
from tenure.voices.services import voice_record

COLUMNS = (
    "source_kind", "source_name", "external_id", "published_at", "text", "author", "email",
    "url", "rating", "rating_scale", "language", "customer",
)  # fmt: skip
REQUIRED = ("source_kind", "source_name", "published_at", "text")
# The service's field -> the file's column.
_COLUMN_OF = {"author_email": "email", "customer_id": "customer", "account_id": "customer"}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportRowError] = field(default_factory=list)

    def words(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.errors)} refused"
        )


def _item(by: User | None, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One entry stored in its own savepoint: its result, or its errors by field."""
    try:
        with transaction.atomic():
            recorded = voice_record(by=by, data=data, now=now)
    except ValidationError as invalid:
        errors = (
            invalid.message_dict
            if hasattr(invalid, "error_dict")
            else {"__all__": invalid.messages}
        )
        return {"status": "error", "id": None, "errors": errors}
    return {"status": recorded.status, "id": recorded.voice.pk, "errors": {}}


def voices_ingest(
    *, by: User | None, items: Iterable[Mapping[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """An API batch: a result per item (created, updated, unchanged or error), in order."""
    require_change(by)
    now = now or timezone.now()
    # One transaction, a savepoint per entry: a refused entry stores nothing of its own, and
    # the batch commits (and its events are followed) once, not once per entry.
    with transaction.atomic():
        return [{"index": index, **_item(by, data, now)} for index, data in enumerate(items)]


def _number(value: str, column: str, line: int) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 3:
        raise ImportRowError(line=line, column=column, reason=f"a whole number, not {value!r}")
    return int(value)


def _row(by: User | None, cells: Mapping[str, str | None], line: int, tz: tzinfo) -> dict[str, Any]:
    """A CSV row as the service's fields (``ImportRowError`` for what the file got wrong)."""
    text = {name: (cells.get(name) or "").strip() for name in COLUMNS}
    for name, value in text.items():
        if problem := text_problem(value):
            raise ImportRowError(line=line, column=name, reason=problem)
    for name in REQUIRED:
        if not text[name]:
            raise ImportRowError(line=line, column=name, reason="required, but empty")
    try:
        published = instant_parse(text["published_at"], tz=tz)
    except ValueError as error:
        raise ImportRowError(line=line, column="published_at", reason=str(error)) from None
    data: dict[str, Any] = {
        "source_kind": text["source_kind"], "source_name": text["source_name"],
        "external_id": text["external_id"], "published_at": published, "text": text["text"],
        "author": text["author"], "author_email": text["email"], "url": text["url"],
        "language": text["language"],
        "rating": _number(text["rating"], "rating", line),
        "rating_scale": _number(text["rating_scale"], "rating_scale", line),
    }  # fmt: skip
    if text["customer"]:
        customers = Customer.objects.all() if by is None else visible(by, Customer, Action.CHANGE)
        found = customers.filter(external_id=text["customer"]).values_list("pk", flat=True)
        if not found:
            reason = f"no customer with the id {text['customer']!r}"
            raise ImportRowError(line=line, column="customer", reason=reason)
        data["customer_id"] = found[0]
    return data


def voices_import_csv(
    *, by: User | None, stream: TextIO, now: datetime | None = None, tz: tzinfo | None = None
) -> ImportSummary:
    """Import a CSV file of voices (a header row naming ``COLUMNS``; ``REQUIRED`` must be
    there). A date-time without an offset is wall time in ``tz`` (the business's zone)."""
    require_change(by)
    now, tz = now or timezone.now(), tz or timezone.get_default_timezone()
    reader = csv.DictReader(stream)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(
            f"the file has no column {', '.join(missing)} (a header row names them)"
        )
    reader.fieldnames = header
    summary = ImportSummary()
    for cells in reader:
        line = reader.line_num
        try:
            data = _row(by, cells, line, tz)
        except ImportRowError as error:
            summary.errors.append(error)
            continue
        result = _item(by, data, now)
        if result["status"] == "error":
            for name, reasons in result["errors"].items():
                column = _COLUMN_OF.get(name, name)
                summary.errors.append(
                    ImportRowError(line=line, column=column, reason=" ".join(reasons))
                )
        else:
            setattr(summary, result["status"], getattr(summary, result["status"]) + 1)
    return summary
