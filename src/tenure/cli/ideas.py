"""`tenure ideas` and `tenure appreciation`: the ideas board and who was thanked, at the
command line.

``tenure ideas list [--status S] [--json]`` lists the ideas with the customers who asked and
what they weigh (``tenure.ideas.filters.IdeaFilterSet``, the page's and the API's list);
``tenure ideas status ID STATUS`` moves one through ``idea_status_set`` (an idea becoming done
tells its requesters, once). ``tenure appreciation record ACCOUNT --kind K`` records a gift,
a note or an invitation with its cost through ``appreciation_record`` (``--key`` makes a
retry record nothing more); ``tenure appreciation list [--account ACCOUNT]`` lists them with
this year's cost per currency. As the operator, or ``--as USERNAME`` (their role and book).
Exit codes: 0 done, 1 the work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django
from tenure.cli.success import _account


def _refused(error: Exception) -> None:
    from django.core.exceptions import ValidationError

    if isinstance(error, ValidationError):
        words = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        ) if hasattr(error, "error_dict") else "; ".join(error.messages)  # fmt: skip
        click.echo(f"Not done: {words}", err=True)
    else:
        click.echo(f"Refused: {error}", err=True)
    sys.exit(1)


@click.group("ideas")
def ideas() -> None:
    """The ideas board: list the ideas, move one's status."""


@ideas.command("list")
@click.option("--status", "statuses", multiple=True, help="only these statuses (repeatable)")
@click.option("--as", "as_user", metavar="USERNAME", help="weighed over this user's book")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def ideas_list_command(statuses: tuple[str, ...], as_user: str | None, as_json: bool) -> None:
    """The ideas not merged into another, the most asked for first."""
    setup_django()
    from tenure.ideas.filters import IdeaFilterSet

    user = _user(as_user)
    data: dict[str, Any] = {"merged": "false"}
    if statuses:
        data["status"] = list(statuses)
    if user is None:  # the operator: every idea, weighed by every request
        from tenure.ideas.models import Idea
        from tenure.ideas.selectors import ideas_weighed

        filters = IdeaFilterSet(data, ideas_weighed(None, Idea.objects.all()))
    else:
        filters = IdeaFilterSet.of(user, data)
    if not filters.is_valid():
        errors = filters.field_errors()
        raise click.BadParameter(
            "; ".join(" ".join(v) for v in errors.values()), param_hint="--status"
        )
    chosen: list[Any] = list(filters.for_page()[:500])  # annotated: customers, revenue, clv
    if as_json:
        _echo_json([
            {"id": idea.pk, "title": idea.title, "status": idea.status,
             "customers": idea.customers, "revenue": idea.revenue, "clv": idea.clv,
             "shipped_at": idea.shipped_at}
            for idea in chosen
        ])  # fmt: skip
        return
    if not chosen:
        click.echo("No ideas.")
        return
    for idea in chosen:
        click.echo(
            f"{idea.pk:>6}  {idea.get_status_display():<13} {idea.customers:>4} asked  "
            f"revenue {idea.revenue:>12,.2f}  {idea.title}"
        )


@ideas.command("status")
@click.argument("idea_id", type=click.IntRange(min=1, max=2**62))
@click.argument("status")
@click.option("--as", "as_user", metavar="USERNAME", help="as this user (their role)")
def ideas_status_command(idea_id: int, status: str, as_user: str | None) -> None:
    """Set an idea's status (under_review, planned, in_progress, done, declined)."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.events.record import acting_via
    from tenure.ideas.services import idea_status_set

    user = _user(as_user)
    try:
        with acting_via("cli", user.pk if user else None):
            idea = idea_status_set(by=user, idea_id=idea_id, status=status, now=timezone.now())
    except (AccessDenied, ValidationError) as error:
        _refused(error)
    except Http404:
        click.echo(f"Not done: no idea {idea_id}", err=True)
        sys.exit(1)
    click.echo(f"Idea {idea.pk} “{idea.title}”: {idea.get_status_display()}.")


@click.group("appreciation")
def appreciation() -> None:
    """Gifts, thank-you notes and invitations given to accounts: record one, list them."""


@appreciation.command("record")
@click.argument("account_ref", metavar="ACCOUNT")
@click.option("--kind", required=True, help="gift, thank_you_note, event_invitation or other")
@click.option("--description", default="", help="what it was")
@click.option("--cost", default="", help="what it cost, e.g. 25.00")
@click.option("--currency", default="", help="the cost's currency (the business's by default)")
@click.option("--on", "given_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the day it was given (today by default)")  # fmt: skip
@click.option("--contact", "contact_id", type=click.IntRange(min=1, max=2**62), default=None,
              help="the account's contact it went to (id)")  # fmt: skip
@click.option("--key", default="", help="the same key records it once, however often run")
@click.option("--as", "as_user", metavar="USERNAME", help="as this user (their role and book)")
def appreciation_record_command(
    account_ref: str, kind: str, description: str, cost: str, currency: str,
    given_on: Any, contact_id: int | None, key: str, as_user: str | None,
) -> None:  # fmt: skip
    """Record what was given to an account (and a person there), with its cost."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.events.record import acting_via
    from tenure.success.appreciation import appreciation_record

    user = _user(as_user)
    account = _account(account_ref, user)
    data: dict[str, Any] = {"kind": kind, "description": description, "cost": cost}
    if currency:
        data["currency"] = currency
    if given_on is not None:
        data["given_on"] = given_on.date()
    if contact_id is not None:
        data["contact_id"] = contact_id
    if key:
        data["key"] = key
    try:
        with acting_via("cli", user.pk if user else None):
            found, new = appreciation_record(
                by=user, account_id=account.pk, data=data, now=timezone.now()
            )
    except (AccessDenied, ValidationError) as error:
        _refused(error)
    except Http404:
        click.echo(f"Not done: no account {account_ref!r}", err=True)
        sys.exit(1)
    what = f"{found.get_kind_display()} for {account.name} on {found.given_on:%Y-%m-%d}"
    cost_words = f", {found.cost:,.2f} {found.currency}" if found.cost else ""
    click.echo(
        f"Recorded: {what}{cost_words} ({found.pk})."
        if new
        else f"Recorded before: {what} ({found.pk}); nothing new."
    )


@appreciation.command("list")
@click.option("--account", "account_ref", metavar="ACCOUNT", help="only this account's")
@click.option("--as", "as_user", metavar="USERNAME", help="this user's book only")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def appreciation_list_command(account_ref: str | None, as_user: str | None, as_json: bool) -> None:
    """What was given, newest first, and this calendar year's cost per currency."""
    setup_django()
    from django.utils import timezone

    from tenure.success.appreciation import appreciation_totals, appreciations_visible
    from tenure.success.models import Appreciation

    user = _user(as_user)
    found = (
        Appreciation.objects.select_related("account", "contact", "given_by")
        if user is None
        else appreciations_visible(user)
    )
    if account_ref:
        found = found.filter(account=_account(account_ref, user))
    rows = list(found.order_by("-given_on", "-pk")[:500])
    totals = appreciation_totals(found.filter(given_on__year=timezone.localdate().year))
    if as_json:
        _echo_json({
            "appreciations": [
                {"id": a.pk, "account": a.account.name, "kind": a.kind,
                 "description": a.description, "cost": a.cost, "currency": a.currency,
                 "given_on": a.given_on, "contact": str(a.contact or ""),
                 "given_by": str(a.given_by or "")}
                for a in rows
            ],
            "this_year": {"count": totals.count, "cost": totals.cost},
        })  # fmt: skip
        return
    if not rows:
        click.echo("Nothing recorded.")
        return
    for a in rows:
        person = f" to {a.contact}" if a.contact else ""
        click.echo(
            f"{a.given_on:%Y-%m-%d}  {a.account.name}{person}: {a.get_kind_display()}"
            f"{f', {a.cost:,.2f} {a.currency}' if a.cost else ''}"
            f"{f' ({a.description})' if a.description else ''}"
        )
    costs = ", ".join(f"{v:,.2f} {k}" for k, v in sorted(totals.cost.items())) or "nothing"
    click.echo(f"This year: {totals.count} given, {costs}.")


COMMANDS = [ideas, appreciation]
