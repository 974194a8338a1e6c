"""Import and export of customers and orders as CSV: one service per operation, shared by the
``tenure import`` / ``tenure export`` commands and the import page.

An import streams the file (constant memory whatever its size) and stores it in batches of
``batch_size`` rows, each batch in one transaction that upserts by external id: a killed import
leaves whole batches only, and running it again completes it. Invalid rows are reported (line,
column, reason) and skipped; every valid row is stored. Rows apply in file order, so when an id
appears twice the last row wins (an order log may correct an order further down). Each batch
also brings the cached figures of the customers it touched up to date, in its transaction.

The export writes the same columns the import reads, formula-neutralised (``csv_safety``), so
an export imports back into an empty database unchanged. An export streams (constant memory) and
takes ``by=`` (the user it is for: only what they may see) and the customers to export (the web
list's filters), so the command and the page share it.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.domain.records import (
    CUSTOMER_ALIASES,
    CUSTOMER_FIELDS,
    CUSTOMER_REQUIRED,
    ORDER_FIELDS,
    ORDER_REQUIRED,
    CustomerRecord,
    ImportRowError,
    Layout,
    customer_record_parse,
    layout_resolve,
    order_record_parse,
)
from tenure.events.kinds import IMPORT_COMMITTED
from tenure.events.record import acting_via, event_record
from tenure.jobs.services import run_start
from tenure.orders.models import Order
from tenure.transfer.attributes import attribute_rows_refused
from tenure.transfer.batches import BatchStored, batch_store
from tenure.transfer.csv_safety import cell_neutralise, cell_restore
from tenure.transfer.mapping import layout_without
from tenure.transfer.models import IMPORT_RUN, ImportJob, ImportKind
from tenure.transfer.reading import CsvRows, UnreadableRow
from tenure.transfer.scope import (
    OPERATOR,
    Importer,
    customer_rows_refused,
    order_rows_refused,
)
from tenure.transfer.selectors import (
    INSIGHT_COLUMNS,
    customer_custom_attribute_keys,
    customer_export_rows,
    order_export_rows,
)
from tenure.transfer.upserts import KnownCustomers, customers_upsert, orders_upsert
from tenure.users.models import User

# Bigger batches touch each customer's figures fewer times (an import updates the figures of
# every customer a batch names): 50,000 rows took 30 % less time than 10,000 on PostgreSQL.
DEFAULT_BATCH_SIZE = 50_000
REJECT_COLUMNS = ("line", "column", "reason")
PROGRESS_EVERY_ROWS = 5000


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an import has come: rows read (checked) so far, and of them stored or rejected."""

    bytes_done: int
    bytes_total: int  # 0 when the source cannot tell (a pipe)
    rows_read: int
    rows_stored: int
    rows_rejected: int


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    column: str  # as the file names it; "" when the whole row is wrong
    reason: str
    cells: tuple[str, ...]  # the row as it was in the file


@dataclass(slots=True)
class ImportResult:
    kind: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    ignored_columns: tuple[str, ...] = ()
    custom_columns: tuple[str, ...] = ()

    @property
    def rows_stored(self) -> int:
        """Valid rows, stored (created, updated or already so)."""
        return self.created + self.updated + self.unchanged


ProgressCallback = Callable[[Progress], None]
RejectCallback = Callable[[RejectedRow], None]


class _Run:
    """One import under way: the counts, the batch being filled, where the rejects go.

    With ``pipelined``, a batch is stored by a writer thread (with its own database connection)
    while the next one is read and checked: reading is Python work, storing mostly the
    database's, so the two overlap. One writer, one batch at a time: batches still commit in
    file order, and at most two are in memory.
    """

    def __init__(
        self,
        *,
        result: ImportResult,
        rows: CsvRows,
        store: Callable[[list[Any]], BatchStored],
        on_progress: ProgressCallback | None,
        on_reject: RejectCallback | None,
        rejects_out: TextIO | None,
        pipelined: bool,
        layout: Layout,
        keep_cells: bool,
    ) -> None:
        self.result, self.rows, self.store = result, rows, store
        self.on_progress, self.on_reject = on_progress, on_reject
        self.batch: list[Any] = []
        # The cells of the batch's rows by line, kept only when the store may refuse rows (an
        # importer limited to their own records), for the rejects file.
        self.layout, self.keep_cells = layout, keep_cells
        self.cells: dict[int, list[str]] = {}
        self.rejects = csv.writer(rejects_out) if rejects_out is not None else None
        if self.rejects is not None:
            self.rejects.writerow([*REJECT_COLUMNS, *rows.raw_header])
        self.writer = ThreadPoolExecutor(1, "tenure-import") if pipelined else None
        self.storing: tuple[Future[BatchStored], dict[int, list[str]]] | None = None

    def reject(self, error: ImportRowError, cells: list[str]) -> None:
        self.result.rejected += 1
        if self.rejects is not None:
            self.rejects.writerow([error.line, cell_neutralise(error.column), error.reason, *cells])
        if self.on_reject is not None:
            self.on_reject(RejectedRow(error.line, error.column, error.reason, tuple(cells)))

    def flush(self) -> None:
        """Store the batch (one transaction), or hand it to the writer; report progress."""
        batch, self.batch = self.batch, []
        cells, self.cells = self.cells, {}
        if self.writer is None:
            if batch:
                self._count(self.store(batch), cells)
        else:
            self._collect()
            if batch:
                self.storing = (self.writer.submit(self.store, batch), cells)
        self.report()

    def finish(self) -> None:
        """Wait for the writer's last batch (raising its error, if any)."""
        if self.writer is not None:
            self._collect()
            self.report()

    def close(self) -> None:
        """Let the writer end its batch, whatever happened here, and close its connection."""
        if self.writer is not None:
            if self.storing is not None:
                self.storing[0].exception()  # wait; the error, if any, is the writer's to raise
            self.writer.submit(connections.close_all).result()
            self.writer.shutdown()

    def report(self) -> None:
        if self.on_progress is not None:
            result = self.result
            self.on_progress(
                Progress(
                    self.rows.bytes_done,
                    self.rows.bytes_total,
                    result.rows_read,
                    result.rows_stored,
                    result.rejected,
                )
            )

    def _collect(self) -> None:
        if self.storing is not None:
            (storing, cells), self.storing = self.storing, None
            self._count(storing.result(), cells)

    def _count(self, stored: BatchStored, cells: dict[int, list[str]]) -> None:
        for error in stored.refused:
            column = self.layout.source(error.column)
            where = ImportRowError(line=error.line, column=column, reason=error.reason)
            self.reject(where, cells.get(error.line, []))
        counts = stored.counts
        self.result.created += counts.created
        self.result.updated += counts.updated
        self.result.unchanged += counts.unchanged


def _import_run(
    *,
    kind: str,
    source: BinaryIO,
    layout_of: Callable[[list[str]], Layout],
    parse: Callable[[list[str], int, Layout], Any],
    store: Callable[[list[Any]], BatchStored],
    on_progress: ProgressCallback | None,
    on_reject: RejectCallback | None,
    rejects_out: TextIO | None,
    batch_size: int,
    keep_cells: bool = False,
) -> ImportResult:
    """Read, check and store a file batch by batch; shared by both kinds of import.

    Batches are stored by a writer thread unless the caller holds a transaction (a test, or a
    service wrapping the import): then they stay in it, stored one after the other here.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    rows = CsvRows(source)
    run: _Run | None = None
    try:
        layout = layout_of(rows.header)
        extra = tuple(name for _, name in layout.extra)
        result = ImportResult(kind=kind)
        if kind == ImportKind.CUSTOMERS:
            result.custom_columns = extra
        else:
            result.ignored_columns = extra
        run = _Run(
            result=result,
            rows=rows,
            store=store,
            on_progress=on_progress,
            on_reject=on_reject,
            rejects_out=rejects_out,
            pipelined=not connection.in_atomic_block,
            layout=layout,
            keep_cells=keep_cells,
        )
        for line, cells in rows:
            result.rows_read += 1
            try:
                if isinstance(cells, UnreadableRow):  # a bad byte, a field beyond the reader
                    raise cells.error
                run.batch.append(parse([cell_restore(cell) for cell in cells], line, layout))
                if keep_cells:
                    run.cells[line] = cells
            except ImportRowError as error:
                run.reject(error, cells)
            if result.rows_read % batch_size == 0:
                run.flush()
            elif result.rows_read % PROGRESS_EVERY_ROWS == 0:
                run.report()  # a batch takes seconds to fill: show the reading too
        run.flush()
        run.finish()
        return result
    finally:
        if run is not None:
            run.close()
        rows.release()


def customers_import(
    *,
    source: BinaryIO,
    column_map: Mapping[str, str],
    now: datetime,
    on_progress: ProgressCallback | None = None,
    on_reject: RejectCallback | None = None,
    rejects_out: TextIO | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    importer: Importer = OPERATOR,
    ignored_columns: Collection[str] = (),
) -> ImportResult:
    """Import customers from a UTF-8 CSV file (binary stream) by ``customer_id``.

    Columns other than the fields (after ``column_map``, source column -> field) become custom
    attributes. New customers and accounts become known ``now`` unless ``created_at`` says
    otherwise. Raises ``ImportFileError`` when the file cannot be read; rejected rows go to
    ``on_reject`` and, as CSV (line, column, reason, then the row), to ``rejects_out``.

    ``ignored_columns``: columns of the file read neither as a field nor as an attribute.

    ``importer``: who the import runs as (``scope.Importer``; the operator by default). A row
    outside their scope is rejected; every change is in the records' history, naming them and
    the import. Raises ``batches.ImportConflict`` when concurrent writers kept a batch from
    being stored.
    """
    tz = timezone.get_default_timezone()
    result = _import_run(
        kind=ImportKind.CUSTOMERS,
        source=source,
        layout_of=lambda header: layout_without(
            layout_resolve(
                header,
                fields=CUSTOMER_FIELDS,
                required=CUSTOMER_REQUIRED,
                column_map=column_map,
                aliases=CUSTOMER_ALIASES,
            ),
            ignored_columns,
        ),
        parse=lambda cells, line, layout: customer_record_parse(
            cells, line=line, layout=layout, tz=tz
        ),
        store=lambda batch: batch_store(
            batch,
            refuse=lambda records: _customer_rows_refused(importer, records),
            upsert=lambda records: customers_upsert(records=records, now=now, importer=importer),
        ),
        on_progress=on_progress,
        on_reject=on_reject,
        rejects_out=rejects_out,
        batch_size=batch_size,
        keep_cells=importer.restricted,
    )
    _committed(result, importer)
    return result


def _committed(result: ImportResult, importer: Importer) -> None:
    """The import's last event: what it stored (its rows' events came before, batch by batch)."""
    label = importer.label
    with acting_via("import", importer.author.actor_id):
        event_record(
            IMPORT_COMMITTED.name, subject="import", customer_id=None,
            subject_id=label if isinstance(label, int) else None,
            data={
                "kind": result.kind, "rows_read": result.rows_read, "created": result.created,
                "updated": result.updated, "unchanged": result.unchanged,
                "rejected": result.rejected, "file": str(importer.extra.get("file", label)),
            },
        )  # fmt: skip


def _customer_rows_refused(
    importer: Importer, records: Sequence[CustomerRecord]
) -> list[ImportRowError]:
    """Rows outside the importer's scope, then rows that would take a customer beyond the
    attribute cap (each row refused once, for the first reason)."""
    refused = customer_rows_refused(importer, records)
    lines = {error.line for error in refused}
    return refused + attribute_rows_refused([r for r in records if r.line not in lines])


def orders_import(
    *,
    source: BinaryIO,
    column_map: Mapping[str, str],
    on_progress: ProgressCallback | None = None,
    on_reject: RejectCallback | None = None,
    rejects_out: TextIO | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    importer: Importer = OPERATOR,
    ignored_columns: Collection[str] = (),
) -> ImportResult:
    """Import orders from a UTF-8 CSV file (binary stream) by ``order_id``.

    Unknown customers are created (owned by the importer when a success manager). Columns that
    are no field are ignored (listed in the result's ``ignored_columns``). Otherwise as
    ``customers_import``.
    """
    tz = timezone.get_default_timezone()
    currency = settings.TENURE_CURRENCY
    known = KnownCustomers()
    result = _import_run(
        kind=ImportKind.ORDERS,
        source=source,
        layout_of=lambda header: layout_without(
            layout_resolve(
                header, fields=ORDER_FIELDS, required=ORDER_REQUIRED, column_map=column_map
            ),
            ignored_columns,
        ),
        parse=lambda cells, line, layout: order_record_parse(
            cells, line=line, layout=layout, tz=tz, default_currency=currency
        ),
        store=lambda batch: batch_store(
            batch,
            refuse=lambda records: order_rows_refused(importer, records),
            upsert=lambda records: orders_upsert(records=records, known=known, importer=importer),
        ),
        on_progress=on_progress,
        on_reject=on_reject,
        rejects_out=rejects_out,
        batch_size=batch_size,
        keep_cells=importer.restricted,
    )
    _committed(result, importer)
    return result


EXPORT_PIECE_CHARS = 64 * 1024


class _Line:
    """A file that hands back what it is given: ``csv.writer(_Line()).writerow`` returns the
    row as CSV text (the streaming recipe of Django's documentation)."""

    def write(self, text: str) -> str:
        return text


class CsvExport:
    """The CSV text of an export, iterated in pieces of about 64 kB, so that a file of a million
    rows is written (or streamed to a browser) in constant memory. Every cell, header included,
    is formula-neutralised. ``rows`` counts the rows written so far (the header not included).
    """

    def __init__(self, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        self.header, self.rows_source, self.rows = header, rows, 0

    def __iter__(self) -> Iterator[str]:
        writer = csv.writer(_Line())
        piece = [writer.writerow([cell_neutralise(name) for name in self.header])]
        size = len(piece[0])
        for row in self.rows_source:
            line = writer.writerow([cell_neutralise(cell) for cell in row])
            self.rows += 1
            piece.append(line)
            size += len(line)
            if size >= EXPORT_PIECE_CHARS:
                yield "".join(piece)
                piece, size = [], 0
        yield "".join(piece)


def _customers_of(by: User | None, customers: QuerySet[Customer] | None) -> QuerySet[Customer]:
    customers = Customer.objects.all() if customers is None else customers
    return customers if by is None else visible(by, customers)


def customers_export_csv(
    *,
    by: User | None = None,
    customers: QuerySet[Customer] | None = None,
    insights: bool = False,
) -> CsvExport:
    """Customers as CSV in the import's columns, custom attributes as extra columns (sorted by
    name); datetimes in the business's time zone; by id. ``insights`` adds stage, health,
    churn risk, P(alive), expected purchases and predicted CLV (``INSIGHT_COLUMNS``).

    ``customers`` narrows the export (the web list's filters and search); ``by`` keeps to the
    customers that user may see (``tenure.access.visible``). ``by=None`` is the operator at the
    command line: every customer.
    """
    selected = _customers_of(by, customers)
    keys = customer_custom_attribute_keys(customers=selected)
    tz = timezone.get_default_timezone()
    rows = customer_export_rows(custom_keys=keys, tz=tz, customers=selected, insights=insights)
    extra = list(INSIGHT_COLUMNS) if insights else []
    return CsvExport([*CUSTOMER_FIELDS, *keys, *extra], rows)


def orders_export_csv(
    *,
    by: User | None = None,
    customers: QuerySet[Customer] | None = None,
    orders: QuerySet[Order] | None = None,
) -> CsvExport:
    """Orders as CSV in the import's columns, by id: all of them, or those of ``orders`` (the
    orders list's filters) and of ``customers``; with ``by``, only the orders that user may
    see."""
    orders = Order.objects.all() if orders is None else orders
    if customers is not None:
        orders = orders.filter(customer__in=customers.values("pk"))
    if by is not None:
        orders = visible(by, orders)
    return CsvExport(
        ORDER_FIELDS, order_export_rows(tz=timezone.get_default_timezone(), orders=orders)
    )


def _export_write(out: TextIO, export: CsvExport) -> int:
    for piece in export:
        out.write(piece)
    return export.rows


def customers_export(
    *,
    out: TextIO,
    by: User | None = None,
    customers: QuerySet[Customer] | None = None,
    insights: bool = False,
) -> int:
    """Write ``customers_export_csv`` to ``out``. Returns the number of customers."""
    return _export_write(out, customers_export_csv(by=by, customers=customers, insights=insights))


def orders_export(
    *, out: TextIO, by: User | None = None, customers: QuerySet[Customer] | None = None
) -> int:
    """Write ``orders_export_csv`` to ``out``. Returns the number of orders."""
    return _export_write(out, orders_export_csv(by=by, customers=customers))


def import_job_start(
    *, user: User | None, kind: str, upload: UploadedFile, column_map: Mapping[str, str]
) -> ImportJob:
    """Keep an uploaded file and queue its import for the worker; returns the job to follow.

    The header is checked at once, so the page can say what is wrong without waiting for the
    worker: raises ``ImportFileError`` (not UTF-8 CSV, a required column missing, a column map
    naming a column the file lacks) and ``ValueError`` for an unknown kind.
    """
    if kind not in ImportKind.values:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(ImportKind.values)}")
    fields, required, aliases = (
        (CUSTOMER_FIELDS, CUSTOMER_REQUIRED, CUSTOMER_ALIASES)
        if kind == ImportKind.CUSTOMERS
        else (ORDER_FIELDS, ORDER_REQUIRED, {})
    )
    upload.open("rb")
    rows = CsvRows(upload.file)  # type: ignore[arg-type]
    try:
        layout_resolve(
            rows.header, fields=fields, required=required, column_map=column_map, aliases=aliases
        )
    finally:
        rows.release()
    upload.seek(0)
    original = Path(upload.name or "upload.csv").name
    # Readable by the service only; the worker deletes it once the job has ended.
    storage = FileSystemStorage(
        location=Path(settings.MEDIA_ROOT) / "imports",
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )
    stored_name = storage.save(f"{uuid.uuid4().hex}-{original}", upload)
    with transaction.atomic():
        run, _ = run_start(kind=IMPORT_RUN, by=user)
        job = ImportJob.objects.create(
            run=run,
            kind=kind,
            file_name=original[:255],
            path=storage.path(stored_name),
            column_map=dict(column_map),
            bytes_total=upload.size or 0,
            created_by=user,
        )
    return job
