"""`tenure voices import FILE`: comments and reviews from a CSV file (review sites, social
channels, support), through ``tenure.voices.importing.voices_import_csv``, the rule the API's
batch follows: upserted on (source_name, external_id), so a file imported twice changes
nothing; each refused row is printed with its line, column and reason.

Columns (a header row): source_kind, source_name, external_id, published_at, text (those of
source_kind, source_name, published_at and text are required), author, email, url, rating,
rating_scale, language, customer (a customer's external id). Exit codes: 0 every row stored,
1 some rows refused, 2 the file could not be read, 4 not allowed (``--as``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tenure.cli.insights import _user
from tenure.cli.main import setup_django

ERRORS_SHOWN = 100


class FileUnreadable(click.ClickException):
    exit_code = 2


class ImportRefused(click.ClickException):
    exit_code = 4


@click.group("voices")
def voices() -> None:
    """Comments and reviews from outside surveys, with their source."""


@voices.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_user", metavar="USERNAME", help="import as this user (their role)")
def voices_import_command(path: Path, as_user: str | None) -> None:
    """Import a CSV file of comments and reviews."""
    setup_django()
    from tenure.access import AccessDenied
    from tenure.domain.records import ImportFileError
    from tenure.events.record import acting_via
    from tenure.voices.importing import voices_import_csv

    user = _user(as_user)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream, acting_via("cli"):
            summary = voices_import_csv(by=user, stream=stream)
    except (OSError, UnicodeDecodeError) as error:
        raise FileUnreadable(f"cannot read {path}: {error}") from None
    except ImportFileError as error:
        raise FileUnreadable(error.reason) from None
    except AccessDenied as error:
        raise ImportRefused(str(error)) from None
    for refused in summary.errors[:ERRORS_SHOWN]:
        click.echo(f"refused: {refused}", err=True)
    if len(summary.errors) > ERRORS_SHOWN:
        click.echo(f"... and {len(summary.errors) - ERRORS_SHOWN} more refused", err=True)
    click.echo(f"{path.name}: {summary.words()}")
    sys.exit(1 if summary.errors else 0)


COMMANDS = [voices]
