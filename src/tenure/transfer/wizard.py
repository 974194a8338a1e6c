"""The import wizard's writes: keep an uploaded file, record the mapping a person chose (and
remember it for the file's source), and queue the import. The page, and any other edge, call
these; the import itself is the engine's (``services``) run by the worker (``tasks``).

Steps and where they may fail, each in words naming the field:
``import_upload_keep`` (the file: not UTF-8 CSV, no header) -> ``import_upload_map`` (the
mapping: a required field without a column, one column for two fields) -> ``import_upload_run``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from tenure.access import require
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.domain.records import ImportFileError, layout_resolve
from tenure.jobs.services import run_start
from tenure.transfer.mapping import KIND_FIELDS, header_key, mapping_fitted, mapping_suggest
from tenure.transfer.models import IMPORT_RUN, ImportJob, ImportKind, ImportSource, ImportUpload
from tenure.transfer.reading import CsvRows
from tenure.transfer.selectors import import_upload_get
from tenure.users.models import User

SOURCE_NAME_MAX = 100


def _storage() -> FileSystemStorage:
    # Readable by the service only: the files hold personal data.
    return FileSystemStorage(
        location=Path(settings.MEDIA_ROOT) / "imports",
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def _source_of(kind: str, header: list[str], name: str) -> ImportSource | None:
    """The source named so, else the latest one whose last file had this very header."""
    if name:
        found = ImportSource.objects.filter(kind=kind, name=name).first()
        if found is not None:
            return found
    return ImportSource.objects.filter(kind=kind, header=header).order_by("-updated_at").first()


def import_upload_keep(
    *, by: User | None, kind: str, upload: UploadedFile, source_name: str = ""
) -> ImportUpload:
    """Keep an uploaded CSV file and guess its mapping: the remembered one of its source (named,
    or recognised by its header), else from the column names. Raises ``ValidationError`` on
    ``kind`` or ``file`` (unreadable, no header) before anything is kept."""
    require(by, Action.CHANGE)
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [f"one of {', '.join(ImportKind.values)}"]})
    source_name = source_name.strip()
    if len(source_name) > SOURCE_NAME_MAX:
        raise ValidationError({"source": [f"at most {SOURCE_NAME_MAX} characters"]})
    upload.open("rb")
    rows = CsvRows(upload.file)  # type: ignore[arg-type]
    try:
        header = header_key(rows.header)
    except ImportFileError as error:
        raise ValidationError({"file": [f"this file cannot be imported: {error.reason}"]}) from None
    finally:
        rows.release()
    if not any(header):
        raise ValidationError({"file": ["the file has no header row"]})
    upload.seek(0)
    original = Path(upload.name or "upload.csv").name
    storage = _storage()
    stored = storage.save(f"{uuid.uuid4().hex}-{original}", upload)
    source = _source_of(kind, header, source_name)
    if source is not None:
        fields = mapping_fitted(kind, header, source.column_map, source.ignored_columns)
        ignored = [name for name in source.ignored_columns if name in header]
    else:
        fields, ignored = mapping_suggest(kind, header), []
    return ImportUpload.objects.create(
        kind=kind,
        file_name=original[:255],
        path=storage.path(stored),
        size=upload.size or 0,
        header=header,
        source=source,
        column_map={column: field for field, column in fields.items() if column},
        ignored_columns=ignored,
        created_by=by,
    )


def _column_map_check(upload: ImportUpload, chosen: Mapping[str, str]) -> dict[str, str]:
    """field -> column as the engine's column -> field, each problem on its field."""
    spec = KIND_FIELDS[upload.kind]
    errors: dict[str, list[str]] = {}
    by_column: dict[str, str] = {}
    for field in spec.fields:
        column = (chosen.get(field) or "").strip()
        if not column:
            if field in spec.required:
                errors[field] = ["required: choose the column that gives it"]
            continue
        if column not in upload.header:
            errors[field] = [f"the file has no column {column!r}"]
        elif column in by_column:
            errors[field] = [f"the column {column!r} already gives {by_column[column]}"]
        else:
            by_column[column] = field
    if errors:
        raise ValidationError(errors)
    return {column: field for column, field in by_column.items()}


@transaction.atomic
def import_upload_map(
    *,
    by: User | None,
    upload_id: int,
    fields: Mapping[str, str],
    attributes: Collection[str] = (),
    source_name: str = "",
) -> ImportUpload:
    """Record the mapping chosen for an upload: ``fields`` (field -> column, "" for none) and,
    for customers, the unmapped columns kept as custom attributes (the others are not read).
    With ``source_name``, the mapping is remembered for that source. Raises ``ValidationError``
    naming each field."""
    require(by, Action.CHANGE)
    upload = import_upload_get(user=by, upload_id=upload_id, for_change=True)
    if hasattr(upload, "job"):
        raise Conflict("this file has been imported already; upload it again to re-map it")
    column_map = _column_map_check(upload, fields)
    keep = set(attributes) if upload.kind == ImportKind.CUSTOMERS else set()
    ignored = [c for c in upload.header if c and c not in column_map and c not in keep]
    try:  # the engine's own check, so the worker never meets a mapping it refuses
        spec = KIND_FIELDS[upload.kind]
        layout_resolve(
            upload.header,
            fields=spec.fields,
            required=spec.required,
            column_map=column_map,
            aliases=spec.aliases,
        )
    except ImportFileError as error:
        raise ValidationError({"__all__": [error.reason]}) from None
    source_name = source_name.strip()
    if len(source_name) > SOURCE_NAME_MAX:
        raise ValidationError({"source": [f"at most {SOURCE_NAME_MAX} characters"]})
    source = upload.source
    if source_name:
        source, _ = ImportSource.objects.get_or_create(kind=upload.kind, name=source_name)
    if source is not None:
        source.header, source.column_map, source.ignored_columns = (
            upload.header,
            column_map,
            ignored,
        )
        source.save()
    upload.source, upload.column_map, upload.ignored_columns = source, column_map, ignored
    upload.mapped = True
    upload.save()
    return upload


@transaction.atomic
def import_upload_run(*, by: User | None, upload_id: int) -> ImportJob:
    """Queue the import of a mapped upload for the worker; a second call returns the job the
    first one queued (a double click imports once)."""
    require(by, Action.CHANGE)
    upload = import_upload_get(user=by, upload_id=upload_id, for_change=True)
    existing = ImportJob.objects.filter(upload=upload).first()
    if existing is not None:
        return existing
    if not upload.mapped:
        raise ValidationError({"__all__": ["choose the columns first"]})
    run, _ = run_start(kind=IMPORT_RUN, by=by)
    return ImportJob.objects.create(
        run=run,
        kind=upload.kind,
        file_name=upload.file_name,
        path=upload.path,
        column_map=upload.column_map,
        ignored_columns=upload.ignored_columns,
        bytes_total=upload.size,
        upload=upload,
        created_by=by,
    )
