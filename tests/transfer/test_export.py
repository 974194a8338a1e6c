"""Export: the import's columns, formula injection neutralised, and back again unchanged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.customers.models import Account, Customer
from tenure.orders.models import Order
from tenure.transfer import services
from tenure.transfer.csv_safety import FORMULA_STARTS, cell_neutralise, cell_restore
from tenure.transfer.services import (
    customers_export,
    customers_import,
    orders_export,
    orders_import,
)
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_order, make_user

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _customers_snapshot() -> list[tuple]:
    return list(
        Customer.objects.order_by("external_id").values_list(
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "birthday",
            "account__name",
            "channel",
            "category",
            "created_at",
            "custom_attributes",
            "first_order_at",
            "last_order_at",
            "orders_count",
            "revenue",
        )
    )


def _orders_snapshot() -> list[tuple]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "external_id", "customer__external_id", "placed_at", "amount", "currency", "status"
        )
    )


def _business() -> None:
    acme = make_account(name="Acme & Co")
    ada = make_customer(
        external_id="-C1",  # a formula character at the start of an id
        email="ada@example.com",
        first_name='=HYPERLINK("http://evil")',
        last_name="Lovelace, née Byron",
        phone="+44 20 7946 0000",
        birthday=date(1815, 12, 10),
        account=acme,
        channel="@referral",
        category="vip",
        created_at=datetime(2024, 2, 1, 8, 30, 15, 250000, tzinfo=UTC),
        custom_attributes={"tier": "gold", "=note": "\tindented", "quote": "'=kept", "plain": "'x"},
    )
    grace = make_customer(
        external_id="C2",
        email="",
        first_name="Grace",
        last_name="Hopper\nline two",
        custom_attributes={"tier": "silver"},
    )
    make_customer(external_id="C3", first_name="Nobody", last_name="", email="")
    make_order(
        customer=ada,
        external_id="O1",
        amount=Decimal("19.99"),
        currency="EUR",
        placed_at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
    )
    make_order(
        customer=ada,
        external_id="O2",
        amount=Decimal("0.00"),
        status="cancelled",
        placed_at=datetime(2024, 3, 31, 1, 0, 0, 999, tzinfo=UTC),
    )
    make_order(
        customer=grace,
        external_id="+O3",
        amount=Decimal("123456789012.34"),
        status="refunded",
        placed_at=datetime(2024, 7, 14, 12, tzinfo=UTC),
    )
    make_order(
        customer=grace,
        external_id="O4",
        amount=Decimal("5"),
        placed_at=datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
    )


@pytest.mark.django_db
def test_an_export_imports_back_into_an_empty_database_unchanged(settings):
    settings.TIME_ZONE = "Europe/Paris"  # exported with +01:00 / +02:00 offsets
    _business()
    customers_before, orders_before = _customers_snapshot(), _orders_snapshot()
    customers_csv, orders_csv = io.StringIO(newline=""), io.StringIO(newline="")
    assert customers_export(out=customers_csv) == 3
    assert orders_export(out=orders_csv) == 4

    Order.objects.all().delete()
    Customer.objects.all().delete()
    Account.objects.all().delete()
    imported_customers = customers_import(
        source=io.BytesIO(customers_csv.getvalue().encode()), column_map={}, now=NOW
    )
    imported_orders = orders_import(
        source=io.BytesIO(orders_csv.getvalue().encode()), column_map={}
    )

    assert (imported_customers.created, imported_customers.rejected) == (3, 0)
    assert (imported_orders.created, imported_orders.rejected) == (4, 0)
    assert _customers_snapshot() == customers_before
    assert _orders_snapshot() == orders_before


@pytest.mark.django_db
def test_export_columns_are_the_import_columns_with_custom_attributes_after_them(settings):
    settings.TIME_ZONE = "Europe/Paris"
    _business()
    out = io.StringIO(newline="")
    customers_export(out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == [
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "birthday",
        "account",
        "channel",
        "category",
        "created_at",
        "'=note",
        "plain",
        "quote",
        "tier",
    ]
    assert rows[1][9] == "2024-02-01T09:30:15.250000+01:00"
    out = io.StringIO(newline="")
    orders_export(out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]
    assert rows[1] == ["O1", "'-C1", "2024-03-02T00:30:00+01:00", "19.99", "EUR", "completed"]
    assert rows[3][3] == "123456789012.34"  # amounts are plain numbers, never prefixed


@pytest.mark.django_db
def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe():
    make_customer(
        external_id="@C1",
        first_name="=1+2",
        last_name="+SUM(A1:A9)",
        phone="-2+3",
        channel="\tcmd",
        category="\rcmd",
        custom_attributes={"=cmd": "@evil", "ok": "fine"},
    )
    out = io.StringIO(newline="")
    customers_export(out=out)
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert "'=cmd" in header
    values = dict(zip(header, row, strict=True))
    assert values["customer_id"] == "'@C1"
    assert values["first_name"] == "'=1+2"
    assert values["last_name"] == "'+SUM(A1:A9)"
    assert values["phone"] == "'-2+3"
    assert values["channel"] == "'\tcmd"
    assert values["category"] == "'\rcmd"
    assert values["'=cmd"] == "'@evil"
    assert values["ok"] == "fine"
    for cell in [*header, *row]:
        assert not cell.startswith(FORMULA_STARTS), cell


@pytest.mark.django_db
def test_the_import_removes_only_the_export_s_apostrophe():
    source = "customer_id,first_name,last_name,category\n'-C1,'=1+2,'Brien,''+x\n"
    customers_import(source=io.BytesIO(source.encode()), column_map={}, now=NOW)
    customer = Customer.objects.get()
    assert (customer.external_id, customer.first_name, customer.last_name, customer.category) == (
        "-C1",
        "=1+2",
        "'Brien",
        "'+x",
    )


@pytest.mark.django_db
def test_custom_attributes_that_are_not_text_export_as_json():
    make_customer(external_id="C1", custom_attributes={"visits": 3, "tags": ["a", "b"]})
    out = io.StringIO(newline="")
    customers_export(out=out)
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    values = dict(zip(header, row, strict=True))
    assert (values["visits"], values["tags"]) == ("3", '["a", "b"]')


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", " ", "1"])))
def test_neutralising_is_undone_exactly_and_never_leaves_a_formula(value):
    written = cell_neutralise(value)
    assert cell_restore(written) == value
    assert not written.startswith(FORMULA_STARTS)


@given(st.text())
def test_neutralising_any_text_is_undone_exactly(value):
    assert cell_restore(cell_neutralise(value)) == value


@pytest.mark.django_db
def test_an_export_for_a_user_holds_only_what_they_may_see():
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_customer(external_id="MINE", owner=success_manager, custom_attributes={"a": "1"})
    theirs = make_customer(external_id="THEIRS", custom_attributes={"secret_key": "x"})
    make_order(customer=mine, external_id="O-MINE")
    make_order(customer=theirs, external_id="O-THEIRS")

    customers_csv, orders_csv = io.StringIO(newline=""), io.StringIO(newline="")
    assert customers_export(out=customers_csv, by=success_manager) == 1
    assert orders_export(out=orders_csv, by=success_manager) == 1
    assert "THEIRS" not in customers_csv.getvalue()
    assert "secret_key" not in customers_csv.getvalue()  # nor their custom attributes' names
    assert "O-THEIRS" not in orders_csv.getvalue() and "O-MINE" in orders_csv.getvalue()
    # A narrowing queryset cannot widen what the user sees.
    everyone = Customer.objects.all()
    assert customers_export(out=io.StringIO(), by=success_manager, customers=everyone) == 1


@pytest.mark.django_db
def test_an_export_narrowed_to_some_customers_has_their_orders_only():
    ada, grace = make_customer(external_id="ADA"), make_customer(external_id="GRACE")
    make_order(customer=ada, external_id="O-ADA")
    make_order(customer=grace, external_id="O-GRACE")
    out = io.StringIO(newline="")
    assert orders_export(out=out, customers=Customer.objects.filter(pk=ada.pk)) == 1
    assert "O-ADA" in out.getvalue() and "O-GRACE" not in out.getvalue()


@pytest.mark.django_db
def test_an_export_comes_in_pieces_of_bounded_size(monkeypatch):
    monkeypatch.setattr(services, "EXPORT_PIECE_CHARS", 200)
    for n in range(30):
        make_customer(external_id=f"C{n:03d}")
    export = services.customers_export_csv()
    pieces = list(export)
    assert len(pieces) > 5
    assert max(len(piece) for piece in pieces) < 200 + 200  # at most one row past the bound
    assert export.rows == 30
    rows = list(csv.reader(io.StringIO("".join(pieces))))
    assert len(rows) == 31
