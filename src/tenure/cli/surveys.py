"""`tenure survey`: list the surveys with their response rates, and send one.

``tenure survey send --survey NAME --segment SLUG`` (or ``--customers 1,2,3``) invites the
customers by email through ``tenure.surveys.sending.survey_send``, the service the Surveys
page calls, as the operator or ``--as USERNAME``; customers who may not be mailed are not
invited, and the command says how many and why. Exit codes: 0 done, 1 the work could not be
done, 2 bad arguments.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django


@click.group("survey")
def survey() -> None:
    """Surveys sent by email and answered by link (NPS, CSAT, CES)."""


@survey.command("list")
@click.option("--as", "as_user", metavar="USERNAME", help="count this user's customers only")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def survey_list_command(as_user: str | None, as_json: bool) -> None:
    """The surveys with their invitations, answers, response rate and score."""
    setup_django()
    from tenure.feedback.survey_selectors import survey_rows

    rows = survey_rows(user=_user(as_user))
    if as_json:
        _echo_json([
            {"id": r.survey.pk, "name": r.survey.name, "kind": r.survey.kind,
             "active": r.survey.active, "invited": r.rate.invited, "answered": r.rate.answered,
             "rate": r.rate.rate, "score": r.score.score, "low": r.score.low, "high": r.score.high}
            for r in rows
        ])  # fmt: skip
        return
    table = Table("id", "name", "kind", "invited", "answered", "rate", "score", title="Surveys")
    for r in rows:
        rate = f"{r.rate.rate:.0%}" if r.rate.rate is not None else "-"
        score = (
            f"{r.score.score:.0f} ({r.score.low:.0f} to {r.score.high:.0f})"
            if r.score.score is not None and r.score.low is not None and r.score.high is not None
            else "-"
        )
        table.add_row(
            str(r.survey.pk), r.survey.name, r.survey.kind.upper(), str(r.rate.invited),
            str(r.rate.answered), rate, score,
        )  # fmt: skip
    Console().print(table)


def _customer_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise click.BadParameter(
            "ids separated by commas, e.g. 4,8,15", param_hint="--customers"
        ) from None
    if not ids:
        raise click.BadParameter("name at least one customer", param_hint="--customers")
    return ids


@survey.command("send")
@click.option("--survey", "name", required=True, help="the survey's name (or id)")
@click.option("--segment", help="send to this segment's members (its slug or id)")
@click.option("--customers", help="send to these customer ids, separated by commas")
@click.option("--occurrence", help="tells sends apart (default: today: one invitation a day)")
@click.option("--as", "as_user", metavar="USERNAME", help="send as this user (their role)")
def survey_send_command(
    name: str,
    segment: str | None,
    customers: str | None,
    occurrence: str | None,
    as_user: str | None,
) -> None:
    """Invite customers to answer a survey: one email each, once per occurrence."""
    if (segment is None) == (customers is None):
        raise click.UsageError("give --segment or --customers (one of them)")
    setup_django()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.analytics.errors import InvalidInputError
    from tenure.events.record import acting_via
    from tenure.feedback.models import Survey
    from tenure.segments.selectors import segment_chosen, segment_members
    from tenure.surveys.sending import survey_send

    user = _user(as_user)
    found = Survey.objects.filter(name=name).first()
    if found is None and name.isdigit():
        found = Survey.objects.filter(pk=int(name)).first()
    if found is None:
        raise click.BadParameter(f"no survey {name!r}", param_hint="--survey")
    if segment is not None:
        try:
            chosen = segment_chosen(user=user, ref=segment)
        except InvalidInputError as error:
            raise click.BadParameter(str(error), param_hint="--segment") from None
        ids = list(segment_members(user=user, segment=chosen).values_list("pk", flat=True))
    else:
        ids = _customer_ids(customers or "")
    try:
        with acting_via("cli", user.pk if user else None):
            result = survey_send(
                by=user, survey_id=found.pk, customer_ids=ids, now=timezone.now(), source="cli",
                occurrence=occurrence,
            )  # fmt: skip
    except AccessDenied as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Not sent: {'; '.join(error.messages)}", err=True)
        sys.exit(1)
    click.echo(f"{found.name}: {result.words()}.")


COMMANDS = [survey]
