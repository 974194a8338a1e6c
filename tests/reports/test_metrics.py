"""The agency metrics' import: every problem named by row and field, nothing stored when one
row is wrong, an upsert on (account, metric, month) so a batch sent twice changes nothing, the
history of a change, and only admins and managers import (CLI, API)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.cli.main import register_commands
from tenure.events.models import Event
from tenure.history.selectors import history_of
from tenure.reports.models import AccountMetric
from tenure.reports.services import MetricRowsInvalid, account_metrics_upsert, metric_rows_read
from tests.api.helpers import Api
from tests.factories import make_account, make_user
from tests.reports.acme import NOW

pytestmark = pytest.mark.django_db


def _row(account, metric="leads", month="2025-07", value="10"):
    return {"account": account, "metric": metric, "month": month, "value": value}


def test_a_batch_is_upserted_and_sent_again_changes_nothing():
    account = make_account(name="Nimbus")
    rows = [_row("Nimbus"), _row(str(account.pk), "retention_rate", "2025-07-01", "87.5")]
    first = account_metrics_upsert(by=None, rows=rows, now=NOW)
    again = account_metrics_upsert(by=None, rows=rows, now=NOW)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = account_metrics_upsert(by=None, rows=[_row("Nimbus", value="12")], now=NOW)
    assert (changed.created, changed.updated) == (0, 1)
    stored = {(m.metric, str(m.month)): m.value for m in AccountMetric.objects.all()}
    assert stored == {
        ("leads", "2025-07-01"): Decimal("12"), ("retention_rate", "2025-07-01"): Decimal("87.5")
    }  # fmt: skip
    # Two batches stored something: two events; the one that changed nothing wrote none.
    assert Event.objects.filter(kind="report.metrics_imported", subject_id=account.pk).count() == 2
    leads = AccountMetric.objects.get(metric="leads")
    changed_entry, created_entry = history_of(record=leads)  # newest first
    assert (changed_entry.action, created_entry.action) == ("update", "create")
    assert [Decimal(str(v)) for v in changed_entry.changes["value"]] == [10, 12]


def test_every_problem_is_named_by_row_and_field_and_nothing_is_stored():
    make_account(name="Nimbus")
    rows = [
        _row("Nimbus"),  # fine, but the batch is refused whole
        _row("Nowhere"),
        _row("Nimbus", metric="visits"),
        _row("Nimbus", month="2025-13"),
        _row("Nimbus", value="1e400"),
        _row("Nimbus", metric="leads", value="2.5"),
        _row("Nimbus", metric="retention_rate", value="120"),
        _row("Nimbus", metric="custom:", value="1"),
        _row("Nimbus", value="12.34567", metric="custom:visits"),
        _row("Nimbus"),  # the same key as row 0
        {"account": "Nimbus", "metric": "leads", "month": "2025-08", "value": "", "extra": 1},
    ]
    with pytest.raises(MetricRowsInvalid) as refused:
        account_metrics_upsert(by=None, rows=rows, now=NOW)
    named = {(p.row, p.field): p.reason for p in refused.value.problems}
    assert named == {
        (1, "account"): "no account 'Nowhere'",
        (2, "metric"): "unknown metric 'visits': one of leads, mqls, sqls, lifetime_value, "
        "retention_rate or custom:<name>",
        (3, "month"): "there is no month 13",
        (4, "value"): "a number of more than 30 digits",
        (5, "value"): "a count: a whole number, 0 or more",
        (6, "value"): "a percentage from 0 to 100",
        (7, "metric"): "custom:<name>, the name in letters, digits, spaces, '.', '_' or '-'",
        (8, "value"): "more than 4 decimal places",
        (9, "metric"): "the same as row 0",
        (10, "extra"): "unknown field",
        (10, "value"): "required: a number",
    }
    assert refused.value.message_dict["rows[1].account"] == ["no account 'Nowhere'"]
    assert not AccountMetric.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "success_manager"])
def test_only_admins_and_managers_import(role):
    make_account(name="Nimbus")
    with pytest.raises(AccessDenied):
        account_metrics_upsert(by=make_user(role=role), rows=[_row("Nimbus")], now=NOW)
    assert not AccountMetric.objects.exists()


def test_the_csv_needs_its_columns():
    with pytest.raises(ValidationError) as refused:
        metric_rows_read("account,metric,value\nNimbus,leads,3\n")
    assert refused.value.message_dict == {"file": ["missing column(s): month"]}
    assert metric_rows_read("Account,Month,Metric,Value\nNimbus,2025-07,leads,3\n") == [
        {"account": "Nimbus", "metric": "leads", "month": "2025-07", "value": "3"}
    ]


def test_the_cli_imports_a_csv_and_names_lines_and_columns(tmp_path):
    make_account(name="Nimbus")
    manager = make_user(role="manager", username="mona")
    make_user(role="analyst", username="ann")
    good = tmp_path / "metrics.csv"
    good.write_text("account,metric,month,value\nNimbus,leads,2025-07,10\nNimbus,sqls,2025-07,4\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("account,metric,month,value\nNimbus,leads,2025-07,10\nNimbus,sqls,July,4\n")
    cli = register_commands()
    runner = CliRunner()
    done = runner.invoke(cli, ["report", "metrics", "import", str(good), "--as", "mona"])
    assert done.exit_code == 0, done.output
    assert "metrics.csv: 2 created, 0 changed, 0 unchanged." in done.output
    again = runner.invoke(cli, ["report", "metrics", "import", str(good), "--as", manager.username])
    assert "0 created, 0 changed, 2 unchanged" in again.output
    refused = runner.invoke(cli, ["report", "metrics", "import", str(bad)])
    assert refused.exit_code == 1
    assert "line 3, column month: 'July' is not a month like 2025-07" in refused.output
    denied = runner.invoke(cli, ["report", "metrics", "import", str(good), "--as", "ann"])
    assert denied.exit_code == 1 and "Refused" in denied.output
    assert AccountMetric.objects.count() == 2


def test_the_api_imports_once_per_idempotency_key_and_lists_by_book(client):
    sam = make_user(role="success_manager")
    own = make_account(name="Own Co", owner=sam)
    make_account(name="Their Co")
    body = {"rows": [_row("Own Co", value="7"), _row("Their Co", value=9)]}
    manager = Api(client, role="manager")
    first = manager.post("/account-metrics", body, **{"Idempotency-Key": "batch-1"})
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    replay = manager.post("/account-metrics", body, **{"Idempotency-Key": "batch-1"})
    assert replay.json() == first.json()  # the first answer, not run again
    resent = manager.post("/account-metrics", body)
    assert resent.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert AccountMetric.objects.count() == 2
    bad = manager.post("/account-metrics", {"rows": [_row("Own Co", month="2025-7")]})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {
        "rows[0].month": ["'2025-7' is not a month like 2025-07"]
    }
    for role in ("analyst", "success_manager"):
        caller = Api(client, user=sam) if role == "success_manager" else Api(client, role=role)
        assert caller.post("/account-metrics", body).status_code == 403
    listed = Api(client, user=sam).get("/account-metrics")
    assert [(i["account_id"], i["value"]) for i in listed.json()["items"]] == [(own.pk, "7")]
    everyone = Api(client, role="analyst").get("/account-metrics", metric="leads")
    assert len(everyone.json()["items"]) == 2
