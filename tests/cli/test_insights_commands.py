"""`tenure metrics` and `tenure clv`: output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.users.models import Role
from tests.factories import make_user
from tests.insights.builders import buyer, simulated_buyers
from tests.insights.test_retention import domain_example

END = date(2025, 12, 31)


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.django_db
def test_metrics_retention_prints_the_figures_and_the_rule():
    domain_example()
    done = run(
        "metrics", "retention", "--period", "2025-Q2", "--rule", "fixed_days", "--days", "60"
    )
    assert done.exit_code == 0, done.output
    assert "Retention 2025-04-01 .. 2025-06-30" in done.output
    for label, value in (
        ("S  active at the start", "20"),
        ("E  active at the end", "24"),
        ("lost", "1"),
        ("retention", "95.00 %"),
        ("churn", "5.00 %"),
    ):
        line = next(line for line in done.output.splitlines() if label in line)
        assert value in line, line
    assert "(new 5, won back 0)" in done.output
    assert "Rule: Lost after no order for 60 days." in done.output


@pytest.mark.django_db
def test_metrics_retention_as_json_and_as_a_success_manager():
    mine = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    domain_example(owner=mine, owned=3)
    done = run(
        "metrics",
        "retention",
        "--period",
        "2025-04-01..2025-06-30",
        "--rule",
        "fixed_days",
        "--days",
        "60",
        "--json",
    )
    assert done.exit_code == 0, done.output
    figures = json.loads(done.output)
    assert (figures["S"], figures["E"], figures["N"], figures["lost"]) == (20, 24, 5, 1)
    assert figures["retention_rate"] == 95.0 and figures["start"] == "2025-04-01"
    own = json.loads(
        run(
            "metrics",
            "retention",
            "--period",
            "2025-Q2",
            "--rule",
            "fixed_days",
            "--days",
            "60",
            "--json",
            "--as",
            "sam",
        ).output
    )
    assert (own["S"], own["lost"]) == (3, 1)


@pytest.mark.django_db
def test_metrics_churn_prints_lost_of_s():
    domain_example()
    done = run("metrics", "churn", "--period", "2025-Q2", "--rule", "fixed_days", "--days", "60")
    assert done.exit_code == 0, done.output
    assert "Churn 2025-04-01 .. 2025-06-30: 5.00 %" in done.output
    assert "1 lost of S = 20" in done.output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--period", "2025-Q5"), "is not a period"),
        (("--period", "2025-Q1", "--rule", "gut_feeling"), "gut_feeling"),
        (("--period", "2025-Q1", "--gap-multiple", "-2"), "--gap-multiple"),
        (("--period", "2025-Q1", "--as", "nobody"), "no user named 'nobody'"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(args, says):
    done = run("metrics", "retention", *args)
    assert done.exit_code == 2
    assert says in done.output


@pytest.mark.django_db
def test_a_p_alive_rule_without_a_fit_exits_1():
    buyer(date(2025, 3, 1))
    done = run("metrics", "retention", "--period", "2025-Q2", "--rule", "p_alive")
    assert done.exit_code == 1
    assert "run `tenure clv fit` first" in done.output


@pytest.mark.django_db
def test_clv_fit_prints_parameters_with_standard_errors_then_top_lists_customers():
    simulated_buyers(customers=300, end=END)
    done = run("clv", "fit", "--observation-end", "2025-12-31")
    assert done.exit_code == 0, done.output
    fit = ModelFit.objects.get()
    assert fit.status == FitStatus.DONE
    assert f"fit {fit.pk}: 300 customers" in done.output and "to 2025-12-31" in done.output
    r, se = fit.params["BetaGeo"]["params"]["r"], fit.params["BetaGeo"]["standard_errors"]["r"]
    row = next(line for line in done.output.splitlines() if "BetaGeo" in line)
    assert f"{r:.4g}" in row and f"{se:.3g}" in row
    assert f"{fit.log_likelihood['BetaGeo']:.2f}" in row
    for name in ("GammaGamma", "ParetoNBD", "ModifiedBetaGeo", "gamma", "beta"):
        assert name in done.output
    # The backtest that chose the churn ranking, in words and figures.
    baseline = next(c for c in fit.backtest["candidates"] if c["key"] == "days_since_last_order")
    assert "Churn ranking: Ranked by" in done.output and f"{baseline['auc']:.3f}" in done.output
    assert f"Purchase model (P(alive), CLV): {fit.purchase_model}" in done.output

    top = run("clv", "top", "3", "--json")
    assert top.exit_code == 0, top.output
    rows = json.loads(top.output)
    best = CustomerPrediction.objects.order_by("-predicted_clv_365").first()
    assert len(rows) == 3 and rows[0]["customer_id"] == best.customer_id
    assert rows[0]["predicted_clv_365"] == str(best.predicted_clv_365)
    table = run("clv", "top", "3")
    assert table.exit_code == 0 and best.customer.external_id in table.output
    assert "P(alive)" in table.output


@pytest.mark.django_db
def test_a_failed_fit_exits_1_with_the_reason():
    done = run("clv", "fit", "--observation-end", "2025-12-31")
    assert done.exit_code == 1
    assert "failed: there are no completed orders on or before 2025-12-31" in done.output
    assert run("clv", "top").exit_code == 1  # no predictions to list


def test_the_installed_command_reports_retention(database_url):
    domain_example()
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tenure",
            "metrics",
            "retention",
            "--period",
            "2025-Q2",
            "--rule",
            "fixed_days",
            "--days",
            "60",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["retention_rate"] == 95.0


@pytest.mark.django_db
def test_metrics_contracts_prints_mrr_movements_and_nrr():
    from datetime import UTC, datetime
    from decimal import Decimal

    from tenure.customers.models import Subscription
    from tests.factories import make_customer

    for amount, cancelled in (("10.00", datetime(2025, 2, 15, tzinfo=UTC)), ("20.00", None)):
        Subscription.objects.create(
            customer=make_customer(),
            plan="Plan",
            amount=Decimal(amount),
            currency="USD",
            interval="month",
            started_at=datetime(2024, 6, 1, tzinfo=UTC),
            cancelled_at=cancelled,
        )
    done = run("metrics", "contracts", "--period", "2025-Q1")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "30.00 USD" in next(line for line in lines if "MRR at the start" in line)
    assert "66.67 %" in next(line for line in lines if "net revenue retention" in line)
    assert "(5 of 6)" in next(line for line in lines if "renewal rate" in line)
    as_json = json.loads(run("metrics", "contracts", "--period", "2025-Q1", "--json").output)
    assert as_json["end_mrr"] == "20.00"
    assert run("metrics", "contracts", "--period", "2025-Q9").exit_code == 2
