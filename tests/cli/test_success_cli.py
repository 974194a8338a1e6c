"""`tenure onboarding start|list` and `tenure success plan`: the output checked line by line,
as the operator and as a user (their role and book)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.main import cli, register_commands
from tenure.events.models import Event
from tenure.success import checklists
from tenure.success.models import Goal, Milestone, Onboarding, SuccessPlan
from tenure.todos.models import Task
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def kickoff():
    return checklists.checklist_template_create(
        by=None, data={"name": "Kickoff"},
        steps=[{"title": "Call", "days_after_start": 2},
               {"title": "First report", "days_after_start": 10, "first_value": True}],
    )  # fmt: skip


def test_onboarding_start_once_and_list_overdue(kickoff):
    sue = make_user(role="success_manager", username="sue", first_name="Sue")
    make_user(role="analyst", username="ann")
    acme = make_account(owner=sue, name="Acme")
    make_account(owner=make_user(role="success_manager"), name="Other")

    started = run("onboarding", "start", "Acme", "--template", "Kickoff", "--as", "sue")
    assert started.exit_code == 0, started.stderr
    onboarding = Onboarding.objects.get(account=acme)
    assert started.stdout == f"Acme: “Kickoff” started, 2 tasks (onboarding {onboarding.pk}).\n"
    assert Event.objects.get(kind="success.onboarding_started").via == "cli"
    again = run("onboarding", "start", str(acme.pk), "--template", "Kickoff")
    day = f"{onboarding.started_at:%Y-%m-%d}"
    assert again.stdout == (
        f"Acme: “Kickoff” had started on {day} (onboarding {onboarding.pk}); nothing new.\n"
    )
    assert Task.objects.filter(account=acme).count() == 2

    refused = run("onboarding", "start", "Acme", "--template", "Kickoff", "--as", "ann")
    assert refused.exit_code == 1 and refused.stderr.startswith("Refused:")
    hidden = run("onboarding", "start", "Other", "--template", "Kickoff", "--as", "sue")
    assert hidden.exit_code == 2 and "no account 'Other'" in hidden.stderr
    assert run("onboarding", "start", "Acme", "--template", "Nope").exit_code == 2

    assert (
        run("onboarding", "list", "--overdue").stdout == "No onboarding in progress is overdue.\n"
    )
    # Twelve days on: the call (day 2) done, the first report (day 10) past due.
    Onboarding.objects.filter(pk=onboarding.pk).update(
        started_at=onboarding.started_at - timedelta(days=12)
    )
    Task.objects.filter(account=acme).update(due=timezone.localdate() - timedelta(days=2))
    Task.objects.filter(account=acme, title="Call").update(
        status="done", completed_at=timezone.now()
    )
    listed = run("onboarding", "list", "--overdue", "--as", "sue")
    assert listed.stdout == (
        f"{onboarding.pk:>5}  Acme  Kickoff: 1/2 steps, 1 overdue, day 12, first value -\n"
    )
    rows = json.loads(run("onboarding", "list", "--json").stdout)
    assert [(r["account"], r["done"], r["total"], r["overdue"]) for r in rows] == [
        ("Acme", 1, 2, 1)
    ]


def test_success_plan_prints_the_plan_goals_milestones_and_next_review():
    sue = make_user(role="success_manager", username="sue", first_name="Sue", last_name="Lee")
    acme = make_account(owner=sue, name="Acme")
    plan = SuccessPlan.objects.create(
        account=acme, title="Grow with us", status="active", next_review=date(2099, 3, 1)
    )
    goal = Goal.objects.create(
        plan=plan, title="Adopt reports", target_date=date(2099, 6, 1), owner=sue
    )
    Milestone.objects.create(goal=goal, title="Kickoff", due=date(2099, 1, 15))
    Milestone.objects.create(
        goal=goal, title="First report", due=date(2099, 2, 1), done_at=timezone.now()
    )
    printed = run("success", "plan", "Acme", "--as", "sue")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout.splitlines() == [
        "Grow with us (Acme) · Active",
        "Next review: 2099-03-01",
        f"- Adopt reports · Open · by 2099-06-01 · {sue}",
        "    [ ] Kickoff · due 2099-01-15",
        "    [x] First report · due 2099-02-01",
    ]
    shown = json.loads(run("success", "plan", str(acme.pk), "--json").stdout)
    assert shown["goals"][0]["milestones"][1] == {
        "title": "First report",
        "due": "2099-02-01",
        "done": True,
    }
    make_user(role="success_manager", username="sam")
    assert run("success", "plan", "Acme", "--as", "sam").exit_code == 2  # not in his book
    bare = make_account(name="Bare")
    missing = run("success", "plan", "Bare")
    assert missing.exit_code == 1 and missing.stderr == f"{bare.name} has no success plan.\n"
