"""`tenure survey`: list the surveys with their response rates, and send one.

``tenure survey send --survey NAME --segment SLUG`` (or ``--customers 1,2,3``) invites the
customers by email through ``tenure.surveys.sending.survey_send``, the service the Surveys
page calls, as the operator or ``--as USERNAME``; customers who may not be mailed are not
invited, and the command says how many and why. Exit codes: 0 done, 1 the work could not be
done, 2 bad arguments.
"""

from __future__ import annotations

import sys
from typing import Any

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
@click.option("--language", default="", help="the invitations' language (default: each one's own)")
@click.option("--as", "as_user", metavar="USERNAME", help="send as this user (their role)")
def survey_send_command(
    name: str,
    segment: str | None,
    customers: str | None,
    occurrence: str | None,
    language: str,
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
    from tenure.segments.selectors import segment_chosen, segment_members
    from tenure.surveys.sending import survey_send

    user = _user(as_user)
    found = _survey_named(name)
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
                occurrence=occurrence, language=language,
            )  # fmt: skip
    except AccessDenied as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Not sent: {'; '.join(error.messages)}", err=True)
        sys.exit(1)
    click.echo(f"{found.name}: {result.words()}.")


def _survey_named(name: str) -> Any:
    from tenure.feedback.models import Survey

    found = Survey.objects.filter(name=name).first()
    if found is None and name.isdigit() and len(name) < 19:
        found = Survey.objects.filter(pk=int(name)).first()
    if found is None:
        raise click.BadParameter(f"no survey {name!r}", param_hint="--survey")
    return found


@survey.command("results")
@click.option("--survey", "name", required=True, help="the survey's name (or id)")
@click.option("--as", "as_user", metavar="USERNAME", help="count this user's customers only")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def survey_results_command(name: str, as_user: str | None, as_json: bool) -> None:
    """A survey's score with its interval and its custom questions' results."""
    setup_django()
    from tenure.feedback.question_selectors import question_results
    from tenure.feedback.survey_selectors import survey_row

    user = _user(as_user)
    found = _survey_named(name)
    row = survey_row(user=user, survey=found)
    results = question_results(user=user, survey=found)
    if as_json:
        _echo_json({
            "survey": found.name, "kind": found.kind, "n": row.score.n, "score": row.score.score,
            "low": row.score.low, "high": row.score.high, "invited": row.rate.invited,
            "answered": row.rate.answered,
            "questions": [
                {"field": r.question.field, "kind": r.question.kind, "text": r.question.text,
                 "n": r.n, "mean": r.mean, "low": r.low, "high": r.high,
                 "options": {o.text: o.count for o in r.options}, "texts": r.texts}
                for r in results
            ],
        })  # fmt: skip
        return
    score = "-" if row.score.score is None else f"{row.score.score:.0f}"
    if row.score.low is not None and row.score.high is not None:
        score += f" (95 % interval {row.score.low:.0f} to {row.score.high:.0f})"
    click.echo(f"{found.name}: {found.kind.upper()} {score}, {row.score.n} answers")
    table = Table("question", "kind", "answers", "result", title="Custom questions")
    for r in results:
        if r.mean is not None:
            shown = f"mean {r.mean:.2f}"
            if r.low is not None and r.high is not None:
                shown += f" ({r.low:.2f} to {r.high:.2f})"
        elif r.options:
            shown = ", ".join(f"{o.text}: {o.count}" for o in r.options)
        else:
            shown = f"{len(r.texts)} latest texts"
        table.add_row(f"{r.question.position}. {r.question.text}", r.question.kind, str(r.n), shown)
    Console().print(table)


COMMANDS = [survey]
