"""The wizard's preview: the first rows of an upload as the import will read them, each
problem on its cell, and how many rows of the whole file pass the row checks. Reads only.

The row rules (``tenure.domain.records``) stop at a row's first problem; to show every cell
that is wrong, the row is checked again without that column while the column is one a row may
lack (a required field's problem ends the search). Rows refused when stored (outside the
importer's book, beyond the attribute cap) are not known before the import runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from tenure.domain.records import (
    CustomerRecord,
    ImportFileError,
    ImportRowError,
    Layout,
    customer_record_parse,
    layout_resolve,
    order_record_parse,
)
from tenure.transfer.csv_safety import cell_restore
from tenure.transfer.mapping import KIND_FIELDS, layout_without
from tenure.transfer.models import ImportKind, ImportUpload
from tenure.transfer.reading import CsvRows, UnreadableRow

PREVIEW_ROWS = 20
ROW_PROBLEMS_MAX = 12  # a row is re-checked at most this often (one column less each time)


@dataclass(frozen=True, slots=True)
class PreviewColumn:
    name: str  # as the file names it
    reads_as: str  # the field, or "attribute"


@dataclass(slots=True)
class PreviewRow:
    line: int
    cells: list[tuple[str, str]]  # per column: the value read (or the text), the problem
    problem: str = ""  # a problem of the whole row (its width, an unreadable byte)

    @property
    def valid(self) -> bool:
        return not self.problem and not any(error for _, error in self.cells)


@dataclass(slots=True)
class Preview:
    columns: list[PreviewColumn]
    rows: list[PreviewRow] = field(default_factory=list)
    valid: int = 0
    invalid: int = 0
    problems_by_column: dict[str, int] = field(default_factory=dict)


def _layout(upload: ImportUpload, header: list[str]) -> Layout:
    spec = KIND_FIELDS[upload.kind]
    layout = layout_resolve(
        header,
        fields=spec.fields,
        required=spec.required,
        column_map=upload.column_map,
        aliases=spec.aliases,
    )
    if upload.kind != ImportKind.CUSTOMERS:  # an order log's other columns are never read
        return Layout(columns=layout.columns, extra=(), width=layout.width)
    return layout_without(layout, upload.ignored_columns)


def _parse(upload: ImportUpload, cells: list[str], line: int, layout: Layout) -> Any:
    tz = timezone.get_default_timezone()
    if upload.kind == ImportKind.CUSTOMERS:
        return customer_record_parse(cells, line=line, layout=layout, tz=tz)
    return order_record_parse(
        cells, line=line, layout=layout, tz=tz, default_currency=settings.TENURE_CURRENCY
    )


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _record_values(record: Any) -> dict[str, str]:
    """field -> the value as stored (an order's defaults included)."""
    if isinstance(record, CustomerRecord):
        values = {name: _shown(value) for name, value in record.values.items()}
        values["customer_id"] = record.external_id
        return {**values, **{k: v or "" for k, v in record.custom_attributes.items()}}
    return {
        "order_id": record.external_id,
        "customer_id": record.customer_external_id,
        "placed_at": _shown(record.placed_at),
        "amount": str(record.amount),
        "currency": record.currency,
        "status": record.status,
    }


def row_problems(
    upload: ImportUpload, cells: list[str], line: int, layout: Layout
) -> tuple[dict[str, str], dict[str, str], str]:
    """(field or attribute -> value read, column -> problem, problem of the whole row)."""
    required = set(KIND_FIELDS[upload.kind].required)
    problems: dict[str, str] = {}
    current = layout
    for _ in range(ROW_PROBLEMS_MAX):
        try:
            return _record_values(_parse(upload, cells, line, current)), problems, ""
        except ImportRowError as error:
            if not error.column:
                return {}, problems, error.reason
            problems[error.column] = error.reason
            fields = [f for f, (_, name) in current.columns.items() if name == error.column]
            if any(f in required for f in fields):
                break
            current = layout_without(current, {error.column})
    return {}, problems, ""


def import_preview(*, upload: ImportUpload, rows_shown: int = PREVIEW_ROWS) -> Preview:
    """The first ``rows_shown`` rows as read, and the whole file's valid and invalid counts.
    Raises ``ImportFileError`` when the file cannot be read with this mapping."""
    with open(upload.path, "rb") as source:
        rows = CsvRows(source)
        try:
            header = [name.strip() for name in rows.header]
            layout = _layout(upload, header)
            return _preview(upload, rows, header, layout, rows_shown)
        finally:
            rows.release()


def _preview(
    upload: ImportUpload, rows: CsvRows, header: list[str], layout: Layout, rows_shown: int
) -> Preview:
    reads_as = {name: f for f, (_, name) in layout.columns.items()}
    reads_as.update({name: "attribute" for _, name in layout.extra})
    shown = [name for name in header if name in reads_as]
    fields_of = {name: reads_as[name] for name in shown}
    preview = Preview(columns=[PreviewColumn(name, fields_of[name]) for name in shown])
    for line, cells in rows:
        values: dict[str, str] = {}
        problems: dict[str, str] = {}
        if isinstance(cells, UnreadableRow):
            whole = cells.error.reason
            texts: list[str] = []
        else:
            texts = [cell_restore(cell) for cell in cells]
            values, problems, whole = row_problems(upload, texts, line, layout)
        for column in problems:
            preview.problems_by_column[column] = preview.problems_by_column.get(column, 0) + 1
        if whole or problems:
            preview.invalid += 1
        else:
            preview.valid += 1
        if len(preview.rows) < rows_shown:
            preview.rows.append(
                _shown_row(line, texts, header, shown, fields_of, values, problems, whole)
            )
    return preview


def _shown_row(
    line: int,
    texts: list[str],
    header: list[str],
    shown: list[str],
    fields_of: dict[str, str],
    values: dict[str, str],
    problems: dict[str, str],
    whole: str,
) -> PreviewRow:
    position = {name: index for index, name in enumerate(header)}
    cells = []
    for name in shown:
        raw = texts[position[name]] if position[name] < len(texts) else ""
        key = name if fields_of[name] == "attribute" else fields_of[name]
        read = raw if name in problems or key not in values else values[key]
        cells.append((read, problems.get(name, "")))
    return PreviewRow(line=line, cells=cells, problem=whole)


__all__ = ["ImportFileError", "Preview", "import_preview"]
