"""`tenure report`: an account's results report to a file, and the agency metrics' import.

``tenure report account ACME --period 2025-Q3 --pdf out.pdf`` (or ``--html out.html``; with
neither, the report in plain text on the terminal) reads the report the Report page shows, as
the operator or ``--as USERNAME`` (whose book decides which accounts exist for them). ACME is
the account's id or name; a name that is not whole picks the accounts whose name holds it, and
more than one is an error listing them. ``tenure report metrics import FILE`` imports a CSV of
account, metric, month, value (all rows or none; each problem named by line and column).
Exit codes: 0 done, 1 the work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tenure.cli.insights import _user
from tenure.cli.main import setup_django

CANDIDATES_SHOWN = 10


@click.group("report")
def report() -> None:
    """Results reports of accounts, and the agency metrics they show."""


def _account(reference: str, user: Any) -> Any:
    """The one account ``reference`` names among those ``user`` sees (BadParameter else)."""
    from tenure.access import visible
    from tenure.customers.models import Account

    accounts = Account.objects.all() if user is None else visible(user, Account)
    text = reference.strip()
    if text.isdigit() and (found := accounts.filter(pk=int(text)).first()) is not None:
        return found
    exact = list(accounts.filter(name__iexact=text)[:2])
    if len(exact) == 1:
        return exact[0]
    matches = list(accounts.filter(name__icontains=text).order_by("name")[: CANDIDATES_SHOWN + 1])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise click.BadParameter(f"no account {text!r}", param_hint="ACCOUNT")
    listed = "; ".join(f"{a.pk}: {a.name}" for a in matches[:CANDIDATES_SHOWN])
    more = " and more" if len(matches) > CANDIDATES_SHOWN else ""
    raise click.BadParameter(
        f"{text!r} names several accounts ({listed}{more}): give the id or the whole name",
        param_hint="ACCOUNT",
    )


@report.command("account")
@click.argument("reference", metavar="ACCOUNT")
@click.option("--period", help="2025-Q3 or 2025-07 (default: the last complete quarter)")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), help="write a PDF")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), help="write HTML")
@click.option("--as", "as_user", metavar="USERNAME", help="read as this user (their book)")
def report_account_command(
    reference: str, period: str | None, pdf: Path | None, html: Path | None, as_user: str | None
) -> None:
    """An account's results report: as PDF, HTML, or text on the terminal."""
    setup_django()
    from django.utils import timezone

    from tenure.analytics.errors import InvalidInputError
    from tenure.reports.rendering import report_pdf, report_print_html, report_text
    from tenure.reports.selectors import account_report_for

    user = _user(as_user)
    account = _account(reference, user)
    try:
        built = account_report_for(
            user=user, account_id=account.pk, period=period, now=timezone.now()
        )
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint="--period") from None
    if pdf is not None:
        pdf.write_bytes(report_pdf(built))
        click.echo(f"{account.name}, {built.period.label}: PDF written to {pdf}")
    if html is not None:
        html.write_text(report_print_html(built), encoding="utf-8")
        click.echo(f"{account.name}, {built.period.label}: HTML written to {html}")
    if pdf is None and html is None:
        click.echo(report_text(built), nl=False)


@report.group("metrics")
def metrics() -> None:
    """Agency metrics (leads, MQLs, SQLs, lifetime value, retention, custom:<name>)."""


@metrics.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_user", metavar="USERNAME", help="import as this user (their role)")
def metrics_import_command(file: Path, as_user: str | None) -> None:
    """Import FILE, a CSV with the columns account, metric, month (2025-07) and value."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.events.record import acting_via
    from tenure.reports.services import (
        MetricRowsInvalid,
        account_metrics_upsert,
        metric_rows_read,
    )

    user = _user(as_user)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        click.echo(f"Not imported: {file} is not UTF-8 text", err=True)
        sys.exit(1)
    try:
        rows = metric_rows_read(text)
        with acting_via("cli", user.pk if user else None):
            result = account_metrics_upsert(by=user, rows=rows, now=timezone.now())
    except AccessDenied as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except MetricRowsInvalid as error:
        for problem in error.problems:
            # The file's line: the header is line 1, the first row line 2.
            click.echo(
                f"line {problem.row + 2}, column {problem.field}: {problem.reason}", err=True
            )
        click.echo(f"Not imported: {len(error.problems)} problem(s); nothing was stored.", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Not imported: {'; '.join(error.messages)}", err=True)
        sys.exit(1)
    click.echo(f"{file.name}: {result.words()}.")


COMMANDS = [report]
