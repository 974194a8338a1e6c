"""`tenure import` and `tenure export` from the command line."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tenure.cli import transfer
from tenure.cli.main import cli
from tenure.customers.models import Customer
from tenure.orders.models import Order
from tests.factories import make_customer, make_order
from tests.transfer.conftest import tenure

for command in transfer.COMMANDS:
    cli.add_command(command)

HEADER = ["order_id", "customer_id", "placed_at", "amount"]


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "customers"],
        ["import", "orders"],
        ["export"],
        ["export", "customers"],
        ["export", "orders"],
    ],
)
def test_every_command_has_help(args):
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {' '.join(args)}" in result.output


def test_exit_codes_of_the_real_command(database_url, write_csv):
    good = write_csv([HEADER, ["O1", "C1", "2025-01-01", "10.00"]], "good.csv")
    some_bad = write_csv(
        [HEADER, ["O2", "C1", "2025-01-02", "5"], ["O3", "C1", "2025-01-03", "-5"]], "bad.csv"
    )
    no_order_id = write_csv([["id", "customer_id", "placed_at", "amount"]], "nocol.csv")

    stored = tenure(database_url, "import", "orders", str(good))
    assert stored.returncode == 0, stored.stderr
    assert "1 rows read, 1 created, 0 updated, 0 unchanged, 0 rejected" in stored.stdout

    rejected = tenure(database_url, "import", "orders", str(some_bad))
    assert rejected.returncode == 1, rejected.stderr
    assert "rejected line 3, column amount: must be zero or more, not -5" in rejected.stderr
    assert "1 created" in rejected.stdout and "1 rejected" in rejected.stdout

    unreadable = tenure(database_url, "import", "orders", str(no_order_id))
    assert unreadable.returncode == 2
    assert "missing required column 'order_id'" in unreadable.stderr

    missing = tenure(database_url, "import", "customers", str(good.parent / "nope.csv"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr and "No such file" in missing.stderr

    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["O1", "O2"]


@pytest.mark.django_db
def test_map_and_rejects_file(write_csv, tmp_path):
    path = write_csv(
        [
            ["Order Number", "Client", "Date", "Total", "note"],
            ["A1", "C1", "2025-01-01", "9.90", "gift"],
            ["A2", "C1", "2025-01-02", "9,90", "=cmd"],
        ]
    )
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        cli,
        [
            "import",
            "orders",
            str(path),
            "--rejects",
            str(rejects),
            "--map",
            "Order Number=order_id",
            "--map",
            "Client=customer_id",
            "--map",
            "Date=placed_at",
            "--map",
            "Total=amount",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "ignored columns: note" in result.output
    assert list(Order.objects.values_list("external_id", "amount")) == [("A1", Decimal("9.90"))]
    written = list(csv.reader(rejects.open(newline="", encoding="utf-8")))
    assert written[0] == [
        "line",
        "column",
        "reason",
        "Order Number",
        "Client",
        "Date",
        "Total",
        "note",
    ]
    assert written[1][:2] == ["3", "Total"]
    assert written[1][3:] == ["A2", "C1", "2025-01-02", "9,90", "=cmd"]


@pytest.mark.django_db
def test_a_malformed_map_is_a_usage_error(write_csv):
    path = write_csv([HEADER])
    result = CliRunner().invoke(cli, ["import", "orders", str(path), "--map", "order_id"])
    assert result.exit_code == 2
    assert "is not SOURCE=FIELD" in result.output


@pytest.mark.django_db
def test_customers_import_reports_custom_attributes(write_csv):
    path = write_csv([["customer_id", "tier"], ["C1", "gold"]])
    result = CliRunner().invoke(cli, ["import", "customers", str(path)])
    assert result.exit_code == 0, result.output
    assert "custom attributes: tier" in result.output
    assert Customer.objects.get().custom_attributes == {"tier": "gold"}


@pytest.mark.django_db
def test_export_to_standard_output_and_to_a_file(tmp_path):
    make_order(customer=make_customer(external_id="C1"), external_id="O1")
    result = CliRunner().invoke(cli, ["export", "orders", "-"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]
    assert rows[1][:2] == ["O1", "C1"]

    target = tmp_path / "customers.csv"
    result = CliRunner().invoke(cli, ["export", "customers", str(target)])
    assert result.exit_code == 0, result.output
    assert "exported 1 customers" in result.output
    assert target.read_text(encoding="utf-8").startswith("customer_id,email,")
    assert not (tmp_path / "customers.csv.part").exists()


@pytest.mark.django_db
def test_import_from_standard_input():
    result = CliRunner().invoke(
        cli, ["import", "customers", "-"], input="customer_id,category\nC1,vip\nC2,smb\n"
    )
    assert result.exit_code == 0, result.output
    assert "2 rows read, 2 created" in result.output
    assert dict(Customer.objects.values_list("external_id", "category")) == {
        "C1": "vip",
        "C2": "smb",
    }
