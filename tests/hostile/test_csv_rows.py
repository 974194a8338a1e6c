"""A bad row of an import file costs that row only: an oversized field, a byte that is not
UTF-8, NUL, a moment outside the calendar, oversized custom attributes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from tenure.customers.models import Customer
from tenure.domain.records import ImportFileError
from tenure.orders.models import Order
from tenure.transfer.reading import CsvRows
from tenure.transfer.services import customers_import, orders_import

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _good(number: int) -> bytes:
    return f"O{number},C{number % 7},2025-01-{number % 28 + 1:02d},{number}.50\r\n".encode()


def _orders(rows: list[bytes]):
    rejected = []
    content = b"order_id,customer_id,placed_at,amount\r\n" + b"".join(rows)
    result = orders_import(
        source=io.BytesIO(content), column_map={}, on_reject=rejected.append, batch_size=10
    )
    return result, rejected


def test_a_10_mb_field_and_a_byte_that_is_not_utf8_cost_only_their_rows():
    rows = [_good(n) for n in range(1, 21)]
    rows.insert(5, b'O900,"' + b"x" * (10 * 1024 * 1024) + b'",2025-01-01,1\r\n')  # line 7
    rows.insert(12, b"O901,Andr\xe9,2025-01-01,1\r\n")  # line 14: latin-1
    result, rejected = _orders(rows)
    assert sorted(Order.objects.values_list("external_id", flat=True)) == sorted(
        f"O{n}" for n in range(1, 21)
    )
    assert (result.created, result.rejected) == (20, 2)
    found = {(row.line, row.column) for row in rejected}
    assert found == {(7, "customer_id"), (14, "customer_id")}
    reasons = {row.line: row.reason for row in rejected}
    assert "longer than 100 characters (10485760)" in reasons[7]
    assert "not UTF-8 text (the byte 0xe9)" in reasons[14]
    # What the rejects keep of a row is readable and short.
    shown = next(row for row in rejected if row.line == 14).cells
    assert shown[1] == "Andr\ufffd"


def test_a_10_mb_custom_attribute_is_rejected_by_its_column():
    content = (
        b"customer_id,notes\r\nC1,short\r\nC2," + b"x" * (10 * 1024 * 1024) + b"\r\nC3,fine\r\n"
    )
    rejected = []
    result = customers_import(
        source=io.BytesIO(content), column_map={}, now=NOW, on_reject=rejected.append
    )
    assert (result.created, result.rejected) == (2, 1)
    assert (rejected[0].line, rejected[0].column) == (3, "notes")
    assert "longer than 2,000 characters" in rejected[0].reason
    assert Customer.objects.get(external_id="C3").custom_attributes == {"notes": "fine"}


def test_a_field_beyond_what_the_reader_takes_is_rejected_and_reading_goes_on():
    content = b"a,b\r\n1,2\r\n3," + b"y" * 5_000 + b"\r\n5,6\r\n"
    rows = CsvRows(io.BytesIO(content), field_max=1_000)
    try:
        read = list(rows)
    finally:
        rows.release()
    assert read[0] == (2, ["1", "2"]) and read[2] == (4, ["5", "6"])
    line, unreadable = read[1]
    assert line == 3 and "cannot be read as CSV" in unreadable.error.reason


@pytest.mark.parametrize(
    ("cell", "column", "reason"),
    [
        ("9999-12-31T23:59:59-12:00", "placed_at", "outside the years 1900-2199"),
        ("0001-01-01T00:00:00+14:00", "placed_at", "outside the years 1900-2199"),
        ("0001-01-01", "placed_at", "outside the years 1900-2199"),
        ("9999-12-31", "placed_at", "outside the years 1900-2199"),
        ("2025-01-01T00:00:00+23:00", "placed_at", "offset"),
    ],
)
def test_a_moment_outside_the_calendar_costs_its_row_only(cell, column, reason):
    rows = [_good(1), f"O2,C2,{cell},1\r\n".encode(), _good(3)]
    result, rejected = _orders(rows)
    assert (result.created, result.rejected) == (2, 1)
    assert (rejected[0].line, rejected[0].column) == (3, column)
    assert reason in rejected[0].reason


def test_nul_in_a_cell_names_its_column():
    result, rejected = _orders([_good(1), b"O2,C\x002,2025-01-01,1\r\n", _good(3)])
    assert result.created == 2
    assert (rejected[0].line, rejected[0].column, rejected[0].reason) == (
        3,
        "customer_id",
        "contains a NUL character",
    )


def test_a_birthday_outside_the_calendar_is_rejected():
    content = b"customer_id,birthday\r\nC1,0001-01-01\r\nC2,1815-12-10\r\n"
    rejected = []
    result = customers_import(
        source=io.BytesIO(content), column_map={}, now=NOW, on_reject=rejected.append
    )
    assert (result.created, result.rejected) == (1, 1)
    assert (rejected[0].line, rejected[0].column) == (2, "birthday")


def test_more_custom_attribute_columns_than_a_record_holds_refuse_the_file():
    header = ",".join(["customer_id", *(f"a{n}" for n in range(10_000))])
    content = f"{header}\r\nC1{',' * 10_000}\r\n".encode()
    with pytest.raises(ImportFileError, match="at most 100 custom attributes"):
        customers_import(source=io.BytesIO(content), column_map={}, now=NOW)
    assert not Customer.objects.exists()


def test_an_import_cannot_take_a_customer_beyond_the_attribute_cap_by_merging():
    def import_columns(names, rows):
        content = ",".join(["customer_id", *names]) + "\r\n"
        content += "".join(",".join(row) + "\r\n" for row in rows)
        rejected = []
        result = customers_import(
            source=io.BytesIO(content.encode()), column_map={}, now=NOW, on_reject=rejected.append
        )
        return result, rejected

    first = [f"a{n}" for n in range(60)]
    result, rejected = import_columns(first, [["C1", *["x"] * 60], ["C2", *["x"] * 60]])
    assert (result.created, rejected) == (2, [])
    second = [f"b{n}" for n in range(50)]
    rows = [
        ["C1", *["y"] * 50],  # 60 + 50 = 110: refused, C1 keeps its 60
        ["C2", *["y"] * 40, *[""] * 10],  # 60 + 40 = 100: the cap itself is fine
        ["C3", *["y"] * 50],  # a new customer with 50
    ]
    result, rejected = import_columns(second, rows)
    assert [(r.line, r.column) for r in rejected] == [(2, "b0")]
    assert "would have 110 custom attributes" in rejected[0].reason
    stored = dict(Customer.objects.values_list("external_id", "custom_attributes"))
    assert {key: len(value) for key, value in stored.items()} == {"C1": 60, "C2": 100, "C3": 50}
    # Empty cells remove attributes first: 60 - 20 + 50 = 90 fits.
    result, rejected = import_columns(first[:20] + second, [["C1", *[""] * 20, *["z"] * 50]])
    assert rejected == []
    assert len(Customer.objects.get(external_id="C1").custom_attributes) == 90


class _Stream(io.RawIOBase):
    """A source that cannot seek (a pipe): rows are searched one by one."""

    def __init__(self, content: bytes) -> None:
        self._inner = io.BytesIO(content)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("seekable", [True, False], ids=["file", "pipe"])
def test_a_bad_byte_is_found_on_its_line_whatever_the_line_ends(ending, seekable):
    end = ending.encode()
    content = end.join(
        [b"a,b", b"1,2", b'3,"multi' + end + b'line"', b"4,\xff", b"5,6", b"7,\xe98", b""]
    )
    source = io.BytesIO(content) if seekable else io.BufferedReader(_Stream(content))
    rows = CsvRows(source)
    try:
        read = list(rows)
    finally:
        rows.release()
    good = [(line, cells) for line, cells in read if not hasattr(cells, "error")]
    bad = [(line, cells.error) for line, cells in read if hasattr(cells, "error")]
    assert good == [(2, ["1", "2"]), (3, ["3", f"multi{ending}line"]), (6, ["5", "6"])]
    assert [(line, error.column) for line, error in bad] == [(5, "b"), (7, "b")]
    assert "0xff" in bad[0][1].reason and "0xe9" in bad[1][1].reason
