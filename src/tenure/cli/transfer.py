"""`tenure import` and `tenure export`: CSV in and out, through tenure.transfer.services.

Exit codes of an import: 0 every row stored, 1 some rows rejected, 2 the file could not be read,
3 interrupted (stopped by the user, or by other writers changing the same records: the batches
before were stored, and running it again is safe), 4 not allowed (``--as`` names no active user
whose role may change records).
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from tenure.cli.main import setup_django

REJECTS_SHOWN = 100


class FileUnreadable(click.ClickException):
    exit_code = 2


class ImportInterrupted(click.ClickException):
    exit_code = 3


class ImportRefused(click.ClickException):
    exit_code = 4


class RowsColumn(ProgressColumn):
    """Rows read so far and the rate, e.g. ``120,000 rows  24,310 rows/s``."""

    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows", 0)
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        return Text(f"{rows:,} rows  {rate:,.0f} rows/s", style="progress.data.speed")


def _column_map(entries: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for entry in entries:
        source, sep, target = entry.rpartition("=")  # a column name may hold "=", a field not
        if not sep or not source.strip() or not target.strip():
            raise click.BadParameter(f"{entry!r} is not SOURCE=FIELD", param_hint="--map")
        mapping[source.strip()] = target.strip()
    return mapping


@contextmanager
def _progress(*, quiet: bool, label: str) -> Iterator[tuple[Console, Callable[[Any], None]]]:
    """A rich progress bar on stderr (bytes of the file, rows, rows/s); silent when quiet or
    when stderr is not a terminal."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield console, lambda progress: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        RowsColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = bar.add_task(escape(label), total=None, rows=0)

    def update(progress: Any) -> None:
        bar.update(
            task,
            total=progress.bytes_total or None,
            completed=progress.bytes_done,
            rows=progress.rows_read,
        )

    with bar:
        yield bar.console, update


class _RejectPrinter:
    """Shows the first rejected rows on the console (all of them go to --rejects FILE)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.count = 0

    def __call__(self, row: Any) -> None:
        self.count += 1
        if self.count <= REJECTS_SHOWN:
            where = f"line {row.line}" + (f", column {row.column}" if row.column else "")
            # a Text, not markup: the reason quotes the file's cells, which may hold "[...]"
            message = Text.assemble(("rejected", "red"), f" {where}: {row.reason}")
            self.console.print(message, highlight=False, soft_wrap=True)

    def close(self, rejects: str | None) -> None:
        if self.count > REJECTS_SHOWN:
            hidden = self.count - REJECTS_SHOWN
            hint = f" (all in {rejects})" if rejects else "; --rejects FILE writes them all"
            click.echo(f"... {hidden:,} more rejected rows not shown{hint}", err=True)


def _summary(kind: str, result: Any, seconds: float) -> None:
    if result.ignored_columns:
        click.echo(f"ignored columns: {', '.join(result.ignored_columns)}", err=True)
    if result.custom_columns:
        click.echo(f"custom attributes: {', '.join(result.custom_columns)}", err=True)
    rate = result.rows_read / seconds if seconds > 0 else 0.0
    click.echo(
        f"{kind}: {result.rows_read:,} rows read, {result.created:,} created, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged, "
        f"{result.rejected:,} rejected ({seconds:.1f} s, {rate:,.0f} rows/s)"
    )


def _run_import(
    kind: str,
    file: str,
    mapping: tuple[str, ...],
    rejects: str | None,
    batch_size: int | None,
    quiet: bool,
    as_user: str | None,
) -> None:
    column_map = _column_map(mapping)
    setup_django()
    from django.utils import timezone

    from tenure.domain.records import ImportFileError
    from tenure.transfer.batches import ImportConflict
    from tenure.transfer.scope import ImportNotAllowed, importer_for
    from tenure.transfer.services import customers_import, orders_import
    from tenure.users.models import User

    label = Path(file).name if file != "-" else "standard input"
    user = None
    if as_user is not None:
        user = User.objects.filter(username=as_user).first()
        if user is None:
            raise ImportRefused(f"cannot import as {as_user}: no such user")
    try:
        importer = importer_for(user, label)
    except ImportNotAllowed as error:
        raise ImportRefused(f"cannot import as {as_user}: {error}") from error
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            source: BinaryIO = (
                sys.stdin.buffer if file == "-" else stack.enter_context(open(file, "rb"))
            )
            rejects_out = (
                stack.enter_context(open(rejects, "w", encoding="utf-8", newline=""))
                if rejects
                else None
            )
            console, update = stack.enter_context(
                _progress(quiet=quiet, label=f"{kind} {Path(file).name}")
            )
            printer = _RejectPrinter(console)
            options: dict[str, Any] = {
                "on_progress": update,
                "on_reject": printer,
                "importer": importer,
            }
            if batch_size is not None:
                options["batch_size"] = batch_size
            if kind == "customers":
                options["now"] = timezone.now()
            service = customers_import if kind == "customers" else orders_import
            result = service(
                source=source, column_map=column_map, rejects_out=rejects_out, **options
            )
        except ImportFileError as error:
            raise FileUnreadable(f"cannot import {file}: {error.reason}") from error
        except ImportConflict as error:
            raise ImportInterrupted(f"import of {file} stopped: {error}") from error
        except KeyboardInterrupt:
            raise ImportInterrupted(
                f"import of {file} interrupted: the batches stored so far are kept; running the "
                "import again is safe and completes it"
            ) from None
        except OSError as error:
            name = error.filename or file
            raise FileUnreadable(f"cannot read {name}: {error.strerror or error}") from error
    printer.close(rejects)
    _summary(kind, result, time.monotonic() - started)
    if result.rejected:
        sys.exit(1)


def _import_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument("file", metavar="FILE"),
        click.option(
            "--map",
            "mapping",
            multiple=True,
            metavar="SOURCE=FIELD",
            help="read the field FIELD from the file's column SOURCE (repeatable)",
        ),
        click.option(
            "--rejects",
            metavar="FILE",
            help="write every rejected row to this CSV: line, column, reason, then the row",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 200_000),
            help="rows per transaction (default: 50,000)",
        ),
        click.option("--quiet", "-q", is_flag=True, help="no progress bar"),
        click.option(
            "--as",
            "as_user",
            metavar="USERNAME",
            help="import as this user: only their records may change (a success manager's "
            "own), and the history names them; without it, the operator (every record)",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group("import")
def import_() -> None:
    """Load customers or orders from a CSV file (UTF-8, with a header row).

    Rows are upserted by id, so importing the same file twice stores nothing new, and an
    interrupted import completes when run again. When an id appears twice in a file, the last
    row wins. The apostrophe that `tenure export` puts before a cell starting with = + - @, a
    tab or a carriage return (formula protection) is removed again.

    Exit code 0 when every row was stored, 1 when some were rejected (each is shown with its
    line, column and reason), 2 when the file could not be read, 3 when the import was
    interrupted (by you, or by other writers changing the same records; the batches before
    were stored and running it again is safe), 4 when --as names no active user whose role
    may change records. Every change is in the records' history, naming the import.
    """


@import_.command("customers")
@_import_options
def import_customers(
    file: str,
    mapping: tuple[str, ...],
    rejects: str | None,
    batch_size: int | None,
    quiet: bool,
    as_user: str | None,
) -> None:
    """Import customers from FILE ('-' for standard input).

    \b
    Columns: customer_id (required), email, first_name, last_name, phone,
    birthday (YYYY-MM-DD), account (a name: found or created), channel, category,
    created_at (ISO 8601). Any other column becomes a custom attribute; an empty
    cell removes that attribute. Only the columns in the file are updated.
    """
    _run_import("customers", file, mapping, rejects, batch_size, quiet, as_user)


@import_.command("orders")
@_import_options
def import_orders(
    file: str,
    mapping: tuple[str, ...],
    rejects: str | None,
    batch_size: int | None,
    quiet: bool,
    as_user: str | None,
) -> None:
    """Import orders from FILE ('-' for standard input).

    \b
    Columns: order_id (required, unique), customer_id (required; unknown customers
    are created), placed_at (required; ISO 8601 date or date-time, without an offset
    it is the time in TENURE_TIME_ZONE, a date alone its midnight), amount (required;
    a decimal >= 0 with at most 2 decimals, e.g. 1234.50), currency (ISO 4217, default
    TENURE_CURRENCY), status (completed, refunded or cancelled; default completed).
    Other columns are ignored.
    """
    _run_import("orders", file, mapping, rejects, batch_size, quiet, as_user)


@import_.command("revert")
@click.argument("import_id", metavar="ID", type=click.IntRange(1))
@click.option(
    "--as",
    "as_user",
    metavar="USERNAME",
    help="revert as this user (an admin, a manager or the person who imported); without it, "
    "the operator",
)
def import_revert_command(import_id: int, as_user: str | None) -> None:
    """Revert the web import ID: delete the records it created and give the records it changed
    their values from before it. A record changed since, or with records made after the import
    hanging from it, is left as it is and listed with the reason. Running it again changes
    nothing.

    Exit code 0 when everything was reverted, 1 when some records were left, 2 when there is no
    such import, 3 while it is still running, 4 when --as may not revert it.
    """
    setup_django()
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from tenure.domain.errors import Conflict
    from tenure.transfer.revert import import_revert
    from tenure.users.models import User

    user = None
    if as_user is not None:
        user = User.objects.filter(username=as_user).first()
        if user is None:
            raise ImportRefused(f"cannot revert as {as_user}: no such user")
    try:
        report = import_revert(by=user, job_id=import_id)
    except PermissionDenied as error:
        raise ImportRefused(f"cannot revert import {import_id}: {error}") from error
    except Http404 as error:
        raise FileUnreadable(f"no import {import_id}") from error
    except Conflict as error:
        raise ImportInterrupted(f"cannot revert import {import_id} yet: {error}") from error
    for label in report["deleted"]:
        click.echo(f"deleted {label}")
    for label in report["restored"]:
        click.echo(f"restored {label}")
    for kept in report["kept"]:
        click.echo(f"not reverted {kept['record']}: {kept['reason']}", err=True)
    click.echo(
        f"import {import_id}: {len(report['deleted']):,} deleted, "
        f"{len(report['restored']):,} restored, {len(report['kept']):,} left as they are"
    )
    if report["kept"]:
        sys.exit(1)


@contextmanager
def _target(file: str) -> Iterator[TextIO]:
    """Standard output, or FILE written whole: into FILE.part, renamed when complete."""
    if file == "-":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield out
        finally:
            out.flush()
            out.detach()
        return
    partial = f"{file}.part"
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(partial, file)
    except OSError as error:
        raise click.ClickException(f"cannot write {file}: {error.strerror or error}") from error
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _run_export(kind: str, file: str, insights: bool = False) -> None:
    setup_django()
    from tenure.transfer.services import customers_export, orders_export

    with _target(file) as out:
        if kind == "customers":
            count = customers_export(out=out, insights=insights)
        else:
            count = orders_export(out=out)
    click.echo(f"exported {count:,} {kind}" + ("" if file == "-" else f" to {file}"), err=True)


@click.group("export")
def export() -> None:
    """Write customers or orders to a CSV file in the columns the import reads.

    Cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
    carriage return) get a leading apostrophe; the import removes it again, so an export
    imports back unchanged.
    """


@export.command("customers")
@click.argument("file", metavar="FILE")
@click.option(
    "--insights",
    is_flag=True,
    help="add stage, health, health_band, churn_risk, p_alive, expected_purchases "
    "(over horizon_days) and predicted_clv (tenure's figures, to check against your records)",
)
def export_customers(file: str, insights: bool) -> None:
    """Export every customer to FILE ('-' for standard output); custom attributes follow the
    standard columns, one column each. With --insights, tenure's figures follow them (empty
    where not computed yet; an import would keep them as custom attributes, so leave the option
    out to round-trip)."""
    _run_export("customers", file, insights)


@export.command("orders")
@click.argument("file", metavar="FILE")
def export_orders(file: str) -> None:
    """Export every order to FILE ('-' for standard output)."""
    _run_export("orders", file)


COMMANDS = [import_, export]
