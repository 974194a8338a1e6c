"""Importing customers: fields, accounts, custom attributes, column maps, upserts."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from tenure.customers.models import Account, Customer
from tenure.domain.records import ImportFileError
from tenure.transfer.services import customers_import
from tests.factories import make_account, make_customer
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
HEADER = [
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
]


def _import(rows, column_map=None, **kwargs):
    return customers_import(
        source=io.BytesIO(csv_bytes(rows)), column_map=column_map or {}, now=NOW, **kwargs
    )


def test_every_column_is_stored():
    result = _import(
        [
            HEADER,
            [
                "C1",
                "ada@example.com",
                "Ada",
                "Lovelace",
                "+44 20 7946 0000",
                "1815-12-10",
                "Analytical Engines",
                "referral",
                "vip",
                "2024-02-01T08:00:00Z",
            ],
        ]
    )
    assert (result.created, result.rejected) == (1, 0)
    customer = Customer.objects.select_related("account").get(external_id="C1")
    assert (customer.email, customer.first_name, customer.last_name, customer.phone) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
        "+44 20 7946 0000",
    )
    assert customer.birthday == date(1815, 12, 10)
    assert customer.account is not None and customer.account.name == "Analytical Engines"
    assert (customer.channel, customer.category) == ("referral", "vip")
    assert customer.created_at == datetime(2024, 2, 1, 8, tzinfo=UTC)
    assert customer.custom_attributes == {}


def test_accounts_are_found_by_name_or_created():
    existing = make_account(name="Acme")
    _import(
        [
            ["customer_id", "account"],
            ["C1", "Acme"],
            ["C2", "Globex"],
            ["C3", "Globex"],
            ["C4", ""],
        ]
    )
    accounts = dict(Customer.objects.values_list("external_id", "account__name"))
    assert accounts == {"C1": "Acme", "C2": "Globex", "C3": "Globex", "C4": None}
    assert Account.objects.count() == 2
    assert Customer.objects.get(external_id="C1").account_id == existing.id
    assert Account.objects.get(name="Globex").created_at == NOW


def test_extra_columns_become_custom_attributes_and_an_empty_cell_removes_one():
    first = _import(
        [
            ["customer_id", "Loyalty tier", "favourite_store"],
            ["C1", "gold", "Leeds"],
            ["C2", "", "York"],
        ]
    )
    assert first.custom_columns == ("Loyalty tier", "favourite_store")
    assert Customer.objects.get(external_id="C1").custom_attributes == {
        "Loyalty tier": "gold",
        "favourite_store": "Leeds",
    }
    assert Customer.objects.get(external_id="C2").custom_attributes == {"favourite_store": "York"}

    _import([["customer_id", "Loyalty tier", "pets"], ["C1", "", " 2 cats "]])
    # an attribute the file does not name is kept; values are kept exactly as written
    assert Customer.objects.get(external_id="C1").custom_attributes == {
        "favourite_store": "Leeds",
        "pets": " 2 cats ",
    }


def test_only_the_columns_of_the_file_are_updated():
    make_customer(external_id="C1", email="old@example.com", category="smb", first_name="Ada")
    result = _import([["customer_id", "category"], ["C1", "enterprise"], ["C2", "smb"]])

    assert (result.created, result.updated) == (1, 1)
    customer = Customer.objects.get(external_id="C1")
    assert (customer.category, customer.email, customer.first_name) == (
        "enterprise",
        "old@example.com",
        "Ada",
    )
    new = Customer.objects.get(external_id="C2")
    assert (new.category, new.email, new.created_at) == ("smb", "", NOW)


def test_an_empty_created_at_keeps_the_stored_one():
    make_customer(external_id="C1", created_at=datetime(2020, 1, 1, tzinfo=UTC))
    _import([["customer_id", "created_at"], ["C1", ""]])
    assert Customer.objects.get(external_id="C1").created_at == datetime(2020, 1, 1, tzinfo=UTC)


def test_a_column_map_reads_fields_from_other_column_names():
    result = _import(
        [["Client Number", "E-mail", "Tier"], ["A-17", "grace@example.com", "gold"]],
        column_map={"Client Number": "customer_id", "E-mail": "email"},
    )
    assert result.custom_columns == ("Tier",)
    customer = Customer.objects.get(external_id="A-17")
    assert (customer.email, customer.custom_attributes) == ("grace@example.com", {"Tier": "gold"})


def test_a_column_map_to_an_unknown_field_is_refused():
    with pytest.raises(ImportFileError, match="'mail' is not a field"):
        _import([["id", "E-mail"], ["1", "a@example.com"]], column_map={"E-mail": "mail"})


def test_importing_the_same_customers_again_changes_nothing():
    rows = [
        [*HEADER, "tier"],
        [
            "C1",
            "a@example.com",
            "A",
            "B",
            "",
            "1990-01-02",
            "Acme",
            "web",
            "vip",
            "2024-01-01",
            "x",
        ],
        ["C2", "", "", "", "", "", "", "", "", "", ""],
    ]
    _import(rows)
    stamps = dict(Customer.objects.values_list("external_id", "updated_at"))
    again = _import(rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == stamps


def test_bad_customer_rows_are_rejected_and_the_others_stored():
    rejected = []
    result = _import(
        [
            ["customer_id", "email", "birthday"],
            ["C1", "ok@example.com", "1990-01-01"],
            ["C2", "not an email", ""],
            ["C3", "", "1990-13-01"],
            ["", "x@example.com", ""],
        ],
        on_reject=rejected.append,
    )
    assert [(r.line, r.column) for r in rejected] == [
        (3, "email"),
        (4, "birthday"),
        (5, "customer_id"),
    ]
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C1"]
    assert (result.created, result.rejected) == (1, 3)


def test_a_file_with_the_old_segment_column_imports_it_as_the_category():
    # Files exported before the rename name the column "segment": it still reads as category,
    # never as a custom attribute of that name.
    result = _import([["customer_id", "segment"], ["C1", "vip"]])

    assert (result.created, result.rejected) == (1, 0)
    customer = Customer.objects.get(external_id="C1")
    assert (customer.category, customer.custom_attributes) == ("vip", {})


def test_a_file_with_both_the_old_and_the_new_column_is_refused():
    with pytest.raises(ImportFileError, match="'category' and 'segment'"):
        _import([["customer_id", "segment", "category"], ["C1", "vip", "smb"]])
