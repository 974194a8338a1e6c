"""`tenure lifecycle recompute`, `tenure lifecycle funnel` and `tenure churn audit`."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.main import cli, register_commands
from tenure.lifecycle.models import CustomerStage
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _population(owner=None) -> None:
    """30 customers of a category that left (silent for a year) and 30 that stay."""
    now = timezone.now()
    for n in range(60):
        gone = n % 2 == 0
        customer = make_customer(
            category="=HYPERLINK(1)" if gone else "calm", owner=owner if n < 10 else None
        )
        last = 380 if gone else 20
        make_order(customer=customer, placed_at=now - timedelta(days=last + 20))
        make_order(customer=customer, placed_at=now - timedelta(days=last))


def test_recompute_prints_counts_then_the_funnel_per_user():
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    _population(owner=sam)
    done = run("lifecycle", "recompute")
    assert done.exit_code == 0, done.output
    assert "60 customers, 60 moved" in done.output
    assert "churned" in done.output and "retention" in done.output
    again = json.loads(run("lifecycle", "recompute", "--json").output)
    assert again["moved"] == 0 and again["counts"] == {"retention": 30, "churned": 30}
    assert CustomerStage.objects.count() == 60

    funnel = run("lifecycle", "funnel")
    assert funnel.exit_code == 0 and "Retention" in funnel.output
    mine = json.loads(run("lifecycle", "funnel", "--as", "sam", "--json").output)
    counts = {row["stage"]: row["customers"] for row in mine}
    assert counts["retention"] == 5 and counts["churned"] == 5 and sum(counts.values()) == 10
    assert run("lifecycle", "funnel", "--as", "nobody").exit_code == 2


def test_churn_audit_ranks_the_planted_effect_and_exports_safely(tmp_path):
    _population()
    run("lifecycle", "recompute")
    out = tmp_path / "audit.csv"
    done = run("churn", "audit", "--csv", str(out))
    assert done.exit_code == 0, done.output
    assert "30 churned, 30 retained" in done.output
    first = next(line for line in done.output.splitlines() if "Category" in line)
    assert "*" in first  # significant
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    category = next(row for row in rows if row["attribute"] == "category")
    assert category["category"] == "'=HYPERLINK(1)"  # neutralised for spreadsheets
    assert category["significant"] == "True"
    findings = json.loads(run("churn", "audit", "--json").output)
    assert findings["churned"] == 30 and findings["findings"][0]["attribute"] == "category"


def test_recompute_from_scratch_dates_a_history_stored_with_one_clock():
    """Moves stored before the two clocks carry the day they were recorded as their effective
    day (the migration copies it): ``--from-scratch`` replays the history and dates them when
    they happened, keeping the old ones as superseded."""
    from tenure.lifecycle.models import StageTransition

    customer = make_customer(created_at=timezone.now() - timedelta(days=400))
    placed = timezone.now() - timedelta(days=300)
    make_order(customer=customer, placed_at=placed)
    assert run("lifecycle", "recompute").exit_code == 0
    moves = StageTransition.objects.filter(customer=customer)
    moves.update(effective_at=timezone.now())  # as the migration left the old moves
    CustomerStage.objects.filter(customer=customer).update(entered_at=timezone.now())
    again = json.loads(run("lifecycle", "recompute", "--json", "--from-scratch").output)
    assert again["superseded"] >= 1
    first = moves.filter(superseded_at__isnull=True, rule="first_order").get()
    assert abs(first.effective_at - placed) < timedelta(milliseconds=1)
    assert moves.filter(superseded_at__isnull=False).count() == again["superseded"]


def test_move_puts_a_customer_in_a_stage_by_hand_and_refuses_with_reasons():
    now = timezone.now()
    customer = make_customer(created_at=now - timedelta(days=120))
    for days in (90, 60, 30):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    make_user(username="mia")
    make_user(username="ann", role=Role.ANALYST)
    run("lifecycle", "recompute")

    moved = run("lifecycle", "move", str(customer.pk), "advocacy", "--reason", "Ref", "--as", "mia")
    unknown = run("lifecycle", "move", str(customer.pk), "nirvana", "--reason", "x", "--as", "mia")
    analyst = run("lifecycle", "move", str(customer.pk), "at_risk", "--reason", "x", "--as", "ann")

    assert moved.exit_code == 0 and f"customer {customer.pk} is in advocacy" in moved.output
    assert unknown.exit_code == 2 and "stage: no stage 'nirvana'" in unknown.output
    assert analyst.exit_code == 1 and "may change" in analyst.output
    assert CustomerStage.objects.get(customer=customer).stage == "advocacy"
