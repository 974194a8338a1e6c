"""`tenure themes`: find the themes of what customers wrote, and list them.

``tenure themes run`` does a themes run in the command (a ``themes.find`` run of
``tenure.jobs``, the one the page's "Find themes now" queues for the worker), as the operator
or ``--as USERNAME`` (admins and managers), and prints what it did. ``tenure themes list``
prints the themes with their answers and customers (``--as``: counted over that user's
customers). Exit codes: 0 done, 1 the work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django


@click.group("themes")
def themes() -> None:
    """Themes found in what customers wrote (survey comments and other registered texts)."""


@themes.command("run")
@click.option("--as", "as_user", metavar="USERNAME", help="run as this user (their role)")
@click.option("--seed", default=0, show_default=True, help="makes the themes repeatable")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def themes_run_command(as_user: str | None, seed: int, as_json: bool) -> None:
    """Find the themes now and store them (names, tags and merges people made are kept)."""
    setup_django()
    from tenure.access import AccessDenied
    from tenure.events.record import acting_via
    from tenure.jobs.runner import run_execute
    from tenure.jobs.services import run_start
    from tenure.themes.services import curate_require
    from tenure.themes.tasks import THEMES_RUN

    user = _user(as_user)
    try:
        curate_require(user)
    except AccessDenied as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    with acting_via("cli", user.pk if user else None):
        run, started = run_start(
            kind=THEMES_RUN, by=user, args={"seed": seed}, exclusive=True, queue=False
        )
        if not started:
            click.echo(f"A themes run is {run.status} already (run {run.pk}).", err=True)
            sys.exit(1)
        outcome = run_execute(run.pk)
    if outcome.get("status") != "done":
        click.echo(f"Failed: {outcome.get('error') or 'the run did not end'}", err=True)
        sys.exit(1)
    result = outcome["result"]
    if as_json:
        _echo_json({"run": run.pk, **result})
        return
    click.echo(
        f"{result['texts']:,} texts read, {result['placed']:,} placed in {result['found']} "
        f"themes: {result['matched']} kept from before, {result['new']} new; "
        f"{result['unseen']} stored themes not seen this time."
    )


@themes.command("list")
@click.option("--as", "as_user", metavar="USERNAME", help="count this user's customers only")
@click.option("--hidden", is_flag=True, help="include hidden themes")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def themes_list_command(as_user: str | None, hidden: bool, as_json: bool) -> None:
    """The themes, the most answered first."""
    setup_django()
    from django.utils import timezone

    from tenure.themes.selectors import theme_rows

    rows = theme_rows(user=_user(as_user), now=timezone.now(), include_hidden=hidden)
    if as_json:
        _echo_json([
            {"id": r.theme.pk, "label": r.theme.label, "terms": r.theme.terms,
             "status": r.theme.status, "answers": r.answers, "customers": r.customers,
             "tags": r.tags}
            for r in rows
        ])  # fmt: skip
        return
    table = Table("id", "theme", "answers", "customers", "tags", title="Themes")
    for r in rows:
        table.add_row(
            str(r.theme.pk), r.theme.label, str(r.answers), str(r.customers), ", ".join(r.tags)
        )
    Console().print(table)


COMMANDS = [themes]
