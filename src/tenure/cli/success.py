"""`tenure onboarding` and `tenure success`: start and list onboardings, print a success plan.

``tenure onboarding start ACCOUNT --template NAME`` starts the checklist through
``tenure.success.onboarding.onboarding_start``, the service the account page and the API
call (once per account and checklist: a second start says it had started);
``tenure onboarding list [--overdue]`` lists them with their progress through the list's
FilterSet; ``tenure success plan ACCOUNT`` prints the plan, its goals and milestones and the
next review. ACCOUNT is an account's name or id. As the operator, or ``--as USERNAME`` (their
role and book). Exit codes: 0 done, 1 the work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django


def _account(ref: str, user: Any) -> Any:
    """The account named ``ref`` (its name, else its id) among those ``user`` sees."""
    from tenure.access import visible
    from tenure.customers.models import Account

    accounts = Account.objects.all() if user is None else visible(user, Account)
    found = accounts.filter(name=ref).first()
    if found is None and ref.isdigit() and len(ref) < 19:
        found = accounts.filter(pk=int(ref)).first()
    if found is None:
        raise click.BadParameter(f"no account {ref!r}", param_hint="ACCOUNT")
    return found


def _days(delta: Any) -> str:
    return "-" if delta is None else f"{delta.total_seconds() / 86400:.1f} days"


@click.group("onboarding")
def onboarding() -> None:
    """Onboarding checklists: start one for an account, list those running."""


@onboarding.command("start")
@click.argument("account_ref", metavar="ACCOUNT")
@click.option("--template", "template_name", required=True, help="the checklist's name")
@click.option("--as", "as_user", metavar="USERNAME", help="start it as this user (their role)")
def onboarding_start_command(account_ref: str, template_name: str, as_user: str | None) -> None:
    """Start a checklist for an account: its steps become tasks for their owners, once."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.events.record import acting_via
    from tenure.success.models import ChecklistTemplate
    from tenure.success.onboarding import onboarding_start
    from tenure.todos.models import Task

    user = _user(as_user)
    account = _account(account_ref, user)
    template = ChecklistTemplate.objects.filter(name=template_name).first()
    if template is None:
        raise click.BadParameter(f"no checklist {template_name!r}", param_hint="--template")
    try:
        with acting_via("cli", user.pk if user else None):
            started, new = onboarding_start(
                by=user, template_id=template.pk, account_id=account.pk, now=timezone.now()
            )
    except AccessDenied as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Not started: {'; '.join(error.messages)}", err=True)
        sys.exit(1)
    tasks = Task.objects.filter(source_key__startswith=f"onboarding:{started.pk}:").count()
    if new:
        click.echo(
            f"{account.name}: “{template.name}” started, {tasks} tasks (onboarding {started.pk})."
        )
    else:
        day = f"{started.started_at:%Y-%m-%d}"
        click.echo(
            f"{account.name}: “{template.name}” had started on {day} "
            f"(onboarding {started.pk}); nothing new."
        )


@onboarding.command("list")
@click.option("--overdue", is_flag=True, help="only those with a step open past due")
@click.option("--as", "as_user", metavar="USERNAME", help="this user's book only")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def onboarding_list_command(overdue: bool, as_user: str | None, as_json: bool) -> None:
    """The onboardings in progress with their progress, oldest start first."""
    setup_django()
    from django.utils import timezone

    from tenure.success.filters import OnboardingFilterSet
    from tenure.success.selectors import onboarding_views

    user = _user(as_user)
    data: dict[str, Any] = {"status": "in_progress"}
    if overdue:
        data["overdue"] = True
    chosen = OnboardingFilterSet.of(user, data).filtered().order_by("started_at", "pk")
    views = onboarding_views(chosen, timezone.localdate())
    if as_json:
        _echo_json([
            {"id": v.onboarding.pk, "account": str(v.onboarding.account or ""),
             "customer_id": v.onboarding.customer_id, "template": v.onboarding.template.name,
             "started": v.onboarding.started_at.date(), "days": v.days_since_start,
             "done": v.done, "skipped": v.skipped, "total": v.total, "overdue": v.overdue,
             "first_value_days": (v.time_to_first_value.total_seconds() / 86400
                                  if v.time_to_first_value else None)}
            for v in views
        ])  # fmt: skip
        return
    if not views:
        click.echo("No onboarding in progress" + (" is overdue." if overdue else "."))
        return
    for v in views:
        subject = v.onboarding.account or v.onboarding.customer
        late = f", {v.overdue} overdue" if v.overdue else ""
        click.echo(
            f"{v.onboarding.pk:>5}  {subject}  {v.onboarding.template.name}: "
            f"{v.done + v.skipped}/{v.total} steps{late}, day {v.days_since_start}, "
            f"first value {_days(v.time_to_first_value)}"
        )


@click.group("success")
def success() -> None:
    """Success plans: an account's goals, milestones and reviews."""


@success.command("plan")
@click.argument("account_ref", metavar="ACCOUNT")
@click.option("--as", "as_user", metavar="USERNAME", help="as this user (their book)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def success_plan_command(account_ref: str, as_user: str | None, as_json: bool) -> None:
    """Print the account's success plan: its goals, their milestones, the next review."""
    setup_django()
    from django.http import Http404

    from tenure.success.selectors import plan_get

    user = _user(as_user)
    account = _account(account_ref, user)
    try:
        plan = plan_get(user=user, account_id=account.pk)
    except Http404:
        click.echo(f"{account.name} has no success plan.", err=True)
        sys.exit(1)
    goals = list(plan.goals.all())
    if as_json:
        _echo_json({
            "account": account.name, "title": plan.title, "status": plan.status,
            "next_review": plan.next_review, "last_reviewed_at": plan.last_reviewed_at,
            "goals": [
                {"title": g.title, "status": g.status, "target_date": g.target_date,
                 "owner": str(g.owner),
                 "milestones": [{"title": m.title, "due": m.due, "done": m.done_at is not None}
                                for m in g.milestones.all()]}
                for g in goals
            ],
        })  # fmt: skip
        return
    click.echo(f"{plan.title} ({account.name}) · {plan.get_status_display()}")
    review = plan.next_review.isoformat() if plan.next_review else "none set"
    click.echo(f"Next review: {review}")
    if not goals:
        click.echo("No goals yet.")
    for goal in goals:
        click.echo(
            f"- {goal.title} · {goal.get_status_display()} · by {goal.target_date:%Y-%m-%d}"
            f" · {goal.owner}"
        )
        for milestone in goal.milestones.all():
            mark = "x" if milestone.done_at else " "
            click.echo(f"    [{mark}] {milestone.title} · due {milestone.due:%Y-%m-%d}")


COMMANDS = [onboarding, success]
