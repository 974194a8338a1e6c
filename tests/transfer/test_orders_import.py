"""Importing orders through the service the CLI and the web page share."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tenure.customers.models import Customer
from tenure.domain.records import ImportFileError
from tenure.orders.models import Order
from tenure.transfer.services import orders_import
from tests.factories import make_customer, make_order
from tests.transfer.conftest import csv_bytes, customer_figures_are_consistent, orders_snapshot

pytestmark = pytest.mark.django_db

HEADER = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]


def _import(rows, **kwargs):
    kwargs.setdefault("column_map", {})
    return orders_import(source=io.BytesIO(csv_bytes(rows)), **kwargs)


def _good_rows(count: int) -> list[list[str]]:
    return [
        [
            f"O{n:03d}",
            f"C{n % 5}",
            f"2025-01-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
            f"{n}.{n % 100:02d}",
            "EUR" if n % 3 == 0 else "",
            "refunded" if n % 7 == 0 else "",
        ]
        for n in range(1, count + 1)
    ]


BAD_ROWS = [  # (row, column, part of the reason)
    (["B01", "C1", "2025-01-01", "-3.00", "", ""], "amount", "must be zero or more"),
    (["B02", "C1", "2025-01-01", "12.345", "", ""], "amount", "more than 2 decimal places"),
    (["B03", "C1", "2025-01-01", "abc", "", ""], "amount", "not a decimal number"),
    (["B04", "C1", "31/12/2024", "1", "", ""], "placed_at", "not an ISO 8601"),
    (["B05", "C1", "", "1", "", ""], "placed_at", "required"),
    (["", "C1", "2025-01-01", "1", "", ""], "order_id", "required"),
    (["B07", "", "2025-01-01", "1", "", ""], "customer_id", "required"),
    (["B08", "C1", "2025-01-01", "1", "EURO", ""], "currency", "ISO 4217"),
    (["B09", "C1", "2025-01-01", "1", "", "shipped"], "status", "not a status"),
    (["B10", "C1", "2025-01-01", "1"], "", "the row has 4 fields, the header has 6"),
]


def test_ten_bad_rows_are_reported_and_every_good_row_is_stored():
    good = _good_rows(30)
    rows: list[list[str]] = []
    expected_rejects = []
    for n, row in enumerate(good):
        rows.append(row)
        if n % 3 == 2:  # a bad row after every third good one
            bad, column, reason = BAD_ROWS[len(expected_rejects)]
            rows.append(bad)
            expected_rejects.append((len(rows) + 1, column, reason, bad))  # +1: the header
    rejected, rejects_out = [], io.StringIO()
    result = _import(
        [HEADER, *rows], on_reject=rejected.append, rejects_out=rejects_out, batch_size=7
    )

    assert (result.rows_read, result.created, result.rejected) == (40, 30, 10)
    assert len(rejected) == 10
    for reject, (line, column, reason, cells) in zip(rejected, expected_rejects, strict=True):
        assert (reject.line, reject.column) == (line, column)
        assert reason in reject.reason
        assert list(reject.cells) == cells
    written = list(csv.reader(io.StringIO(rejects_out.getvalue())))
    assert written[0] == ["line", "column", "reason", *HEADER]
    assert [(int(r[0]), r[1], r[3:]) for r in written[1:]] == [
        (line, column, cells) for line, column, _, cells in expected_rejects
    ]
    stored = orders_snapshot()
    assert [row[0] for row in stored] == [row[0] for row in good]
    o003 = Order.objects.get(external_id="O003")
    assert (o003.customer.external_id, o003.amount, o003.currency, o003.status) == (
        "C3",
        Decimal("3.03"),
        "EUR",
        "completed",
    )
    assert o003.placed_at == datetime(2025, 1, 4, 10, 3, tzinfo=UTC)
    assert Order.objects.get(external_id="O007").status == "refunded"
    assert Order.objects.get(external_id="O001").currency == "USD"  # TENURE_CURRENCY
    assert customer_figures_are_consistent()


def test_importing_the_same_file_again_stores_nothing_new():
    rows = [HEADER, *_good_rows(25)]
    first = _import(rows, batch_size=10)
    ids_before = dict(Order.objects.values_list("external_id", "id"))
    touched_before = dict(Customer.objects.values_list("external_id", "updated_at"))

    again = _import(rows, batch_size=10)

    assert (first.created, first.updated, first.unchanged) == (25, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 25)
    assert dict(Order.objects.values_list("external_id", "id")) == ids_before
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == touched_before


@pytest.mark.parametrize("batch_size", [1, 100], ids=["across-batches", "within-a-batch"])
def test_when_an_order_id_repeats_the_last_row_wins(batch_size):
    rows = [
        HEADER,
        ["O1", "C1", "2025-01-01", "10.00", "", ""],
        ["O2", "C1", "2025-01-02", "20.00", "", ""],
        ["O1", "C2", "2025-01-03", "15.00", "", "refunded"],
    ]
    result = _import(rows, batch_size=batch_size)

    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    order = Order.objects.get(external_id="O1")
    assert (order.customer.external_id, order.amount, order.status) == ("C2", 15, "refunded")
    assert Order.objects.count() == 2
    assert customer_figures_are_consistent()


def test_unknown_customers_are_created_from_their_first_order():
    known = make_customer(external_id="K1", first_name="Grace")
    rows = [
        HEADER,
        ["O1", "NEW", "2025-03-02T12:00:00Z", "30.00", "", ""],
        ["O2", "NEW", "2025-03-01T09:00:00Z", "12.50", "", ""],
        ["O3", "K1", "2025-03-03", "5", "", "cancelled"],
        ["O4", "K1", "2025-03-04", "7", "", ""],
    ]
    _import(rows)

    new = Customer.objects.get(external_id="NEW")
    assert new.created_at == datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert (new.orders_count, new.revenue) == (2, Decimal("42.50"))
    assert new.first_order_at == datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert new.last_order_at == datetime(2025, 3, 2, 12, tzinfo=UTC)
    known.refresh_from_db()
    assert (known.first_name, known.orders_count, known.revenue) == ("Grace", 1, Decimal("7"))
    assert Customer.objects.count() == 2


def test_a_changed_order_moves_the_figures_of_both_customers():
    _import(
        [HEADER, ["O1", "C1", "2025-01-01", "10", "", ""], ["O2", "C1", "2025-01-05", "20", "", ""]]
    )
    result = _import(
        [
            HEADER,
            ["O1", "C2", "2025-01-01", "10", "", ""],
            ["O2", "C1", "2025-01-05", "20", "", "refunded"],
        ]
    )
    assert (result.created, result.updated) == (0, 2)
    c1, c2 = Customer.objects.get(external_id="C1"), Customer.objects.get(external_id="C2")
    assert (c1.orders_count, c1.revenue, c1.last_order_at) == (0, 0, None)
    assert (c2.orders_count, c2.revenue) == (1, Decimal("10"))


def test_dates_without_offset_are_read_in_the_business_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    _import(
        [
            HEADER,
            ["O1", "C1", "2025-01-15", "1", "", ""],
            ["O2", "C1", "2025-07-15T08:00:00", "1", "", ""],
            ["O3", "C1", "2025-07-15T08:00:00+00:00", "1", "", ""],
        ]
    )
    placed = dict(Order.objects.values_list("external_id", "placed_at"))
    assert placed["O1"] == datetime(2025, 1, 15, 5, tzinfo=UTC)  # EST, UTC-5
    assert placed["O2"] == datetime(2025, 7, 15, 12, tzinfo=UTC)  # EDT, UTC-4
    assert placed["O3"] == datetime(2025, 7, 15, 8, tzinfo=UTC)


def test_progress_is_reported_after_each_batch():
    seen = []
    _import([HEADER, *_good_rows(25)], batch_size=10, on_progress=seen.append)
    assert [p.rows_read for p in seen] == [10, 20, 25]
    assert seen[-1].rows_stored == 25
    assert seen[-1].bytes_done == seen[-1].bytes_total > 0


def test_extra_columns_of_an_order_file_are_ignored_and_listed():
    result = _import([[*HEADER, "note"], ["O1", "C1", "2025-01-01", "1", "", "", "gift"]])
    assert result.ignored_columns == ("note",)
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "order_id,customer_n\xe9,placed_at,amount\nO1,C1,2025-01-01,1\n".encode("latin-1"),
            "line 1 (the header) is not UTF-8 text",
        ),
        (b"order_id,customer_id,amount\nO1,C1,1\n", "missing required column 'placed_at'"),
        (b"", "the file is empty"),
        (b"order_id;customer_id;placed_at;amount\nO1;C1;2025-01-01;1\n", "semicolons"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet or zip file"),
    ],
    ids=["latin-1", "no-placed_at", "empty", "semicolons", "xlsx"],
)
def test_a_file_that_cannot_be_read_stores_nothing(content, message):
    with pytest.raises(ImportFileError) as caught:
        orders_import(source=io.BytesIO(content), column_map={})
    assert message in caught.value.reason
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


def test_a_byte_order_mark_and_crlf_line_ends_are_fine():
    content = "\ufefforder_id,customer_id,placed_at,amount\r\nO1,C1,2025-01-01,1\r\n"
    result = orders_import(source=io.BytesIO(content.encode("utf-8")), column_map={})
    assert (result.created, result.rejected) == (1, 0)


def test_new_orders_add_to_the_figures_of_customers_who_already_had_some():
    ada = make_customer(external_id="ADA")
    make_order(
        customer=ada,
        external_id="OLD",
        amount=Decimal("10.00"),
        placed_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    _import(
        [
            HEADER,
            ["N1", "ADA", "2025-01-01T00:00:00Z", "1.25", "", ""],  # before the first
            ["N2", "ADA", "2025-03-01T00:00:00Z", "2.50", "", ""],  # after the last
            ["N3", "ADA", "2025-04-01T00:00:00Z", "99.00", "", "refunded"],
            ["N4", "BOB", "2025-04-01T00:00:00Z", "5.00", "", "cancelled"],
        ]
    )
    ada.refresh_from_db()
    assert (ada.orders_count, ada.revenue) == (3, Decimal("13.75"))
    assert ada.first_order_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert ada.last_order_at == datetime(2025, 3, 1, tzinfo=UTC)
    bob = Customer.objects.get(external_id="BOB")
    assert (bob.orders_count, bob.revenue, bob.first_order_at) == (0, 0, None)
    assert customer_figures_are_consistent()


def test_outside_a_transaction_batches_are_stored_by_a_writer_thread(transactional_db):
    # The CLI and the worker hold no transaction: a thread stores a batch while the next is read.
    seen = []
    rows = [HEADER, *_good_rows(25), ["O001", "C9", "2025-02-01", "1.00", "", ""]]
    result = _import(rows, batch_size=10, on_progress=seen.append)

    assert (result.created, result.updated, result.rejected) == (25, 1, 0)
    assert seen[-1].rows_stored == 26
    assert [p.rows_read for p in seen][-1] == 26
    assert Order.objects.get(external_id="O001").customer.external_id == "C9"  # last row won
    assert Order.objects.count() == 25
    assert customer_figures_are_consistent()
