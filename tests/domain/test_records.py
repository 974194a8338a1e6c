"""Import rows -> records: the pure rules, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tenure.domain.records import (
    CUSTOMER_FIELDS,
    CUSTOMER_REQUIRED,
    ORDER_FIELDS,
    ORDER_REQUIRED,
    ImportFileError,
    ImportRowError,
    amount_parse,
    customer_record_parse,
    instant_parse,
    layout_resolve,
    order_record_parse,
)

PARIS = ZoneInfo("Europe/Paris")
ORDER_HEADER = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]


def _orders_layout(header=ORDER_HEADER, column_map=None):
    return layout_resolve(
        header, fields=ORDER_FIELDS, required=ORDER_REQUIRED, column_map=column_map or {}
    )


def _order(cells, *, tz=PARIS, header=ORDER_HEADER, column_map=None):
    layout = _orders_layout(header, column_map)
    return order_record_parse(cells, line=7, layout=layout, tz=tz, default_currency="USD")


def _customer(header, cells, *, column_map=None):
    layout = layout_resolve(
        header, fields=CUSTOMER_FIELDS, required=CUSTOMER_REQUIRED, column_map=column_map or {}
    )
    return customer_record_parse(cells, line=3, layout=layout, tz=PARIS)


# --- the header --------------------------------------------------------------------------------


def test_a_map_renames_a_column_and_errors_name_the_files_column():
    header = ["Order Number", "customer_id", "placed_at", "Total"]
    record = _order(
        ["A-1", "C1", "2025-01-01", "12.5"],
        header=header,
        column_map={"Order Number": "order_id", "Total": "amount"},
    )
    assert (record.external_id, record.amount) == ("A-1", Decimal("12.5"))
    with pytest.raises(ImportRowError) as caught:
        _order(
            ["A-1", "C1", "2025-01-01", "-1"],
            header=header,
            column_map={"Order Number": "order_id", "Total": "amount"},
        )
    assert caught.value.column == "Total"


def test_a_missing_required_column_is_named():
    with pytest.raises(ImportFileError, match="'placed_at'") as caught:
        _orders_layout(["order_id", "customer_id", "amount"])
    assert "the header has 'order_id', 'customer_id', 'amount'" in caught.value.reason


@pytest.mark.parametrize(
    ("header", "column_map", "message"),
    [
        (["order_id", "order_id"], {}, "names column 'order_id' twice"),
        (ORDER_HEADER, {"status": "state"}, "'state' is not a field"),
        (ORDER_HEADER, {"total": "amount"}, "the file has no column 'total'"),
        ([*ORDER_HEADER, "id"], {"id": "order_id"}, "both 'id' (mapped) and 'order_id'"),
    ],
)
def test_a_header_that_cannot_work_is_refused(header, column_map, message):
    with pytest.raises(ImportFileError) as caught:
        _orders_layout(header, column_map)
    assert message in caught.value.reason


def test_columns_that_are_no_field_are_listed_as_extra():
    layout = _orders_layout([*ORDER_HEADER, "note", " channel "])
    assert [name for _, name in layout.extra] == ["note", "channel"]


# --- orders ------------------------------------------------------------------------------------


def test_a_date_alone_is_midnight_in_the_business_time_zone():
    record = _order(["O1", "C1", "2025-07-01", "10", "", ""])
    assert record.placed_at == datetime(2025, 7, 1, tzinfo=PARIS)
    assert record.placed_at.astimezone(UTC) == datetime(2025, 6, 30, 22, tzinfo=UTC)


def test_a_date_time_without_offset_is_wall_time_in_the_business_time_zone():
    record = _order(["O1", "C1", "2025-01-15T09:30:00", "10", "", ""])
    assert record.placed_at.astimezone(UTC) == datetime(2025, 1, 15, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T09:30:00Z", datetime(2025, 1, 15, 9, 30, tzinfo=UTC)),
        ("2025-01-15T09:30:00-05:00", datetime(2025, 1, 15, 14, 30, tzinfo=UTC)),
        ("2025-01-15 09:30:00.250+01:00", datetime(2025, 1, 15, 8, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_a_date_time_with_an_offset_keeps_it(text, expected):
    assert instant_parse(text, tz=PARIS) == expected


def test_a_wall_time_the_clock_skips_is_refused():
    # 2025-03-30 02:30 does not exist in Paris: clocks go from 02:00 to 03:00.
    with pytest.raises(ValueError, match="does not exist in Europe/Paris"):
        instant_parse("2025-03-30T02:30:00", tz=PARIS)
    assert instant_parse("2025-03-30T03:30:00", tz=PARIS).utcoffset() == timedelta(hours=2)


def test_a_fixed_offset_zone_works_too():
    tz = timezone(timedelta(hours=3))
    assert instant_parse("2025-01-01", tz=tz) == datetime(2024, 12, 31, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal("0")),
        ("12.5", Decimal("12.5")),
        ("12.50", Decimal("12.50")),
        ("999999999999.99", Decimal("999999999999.99")),
        ("7.100", Decimal("7.1")),
    ],
)
def test_amounts_that_are_fine(text, expected):
    assert amount_parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "must be zero or more"),
        ("5.125", "more than 2 decimal places"),
        ("1,234.50", "not a decimal number"),
        ("12,50", "not a decimal number"),
        ("1e3", "not a decimal number"),
        ("NaN", "not a decimal number"),
        ("$12", "not a decimal number"),
        ("1000000000000", "too large"),
    ],
)
def test_amounts_that_are_refused_say_why(text, reason):
    with pytest.raises(ImportRowError) as caught:
        _order(["O1", "C1", "2025-01-01", text, "", ""])
    assert (caught.value.line, caught.value.column) == (7, "amount")
    assert reason in caught.value.reason


def test_currency_and_status_have_defaults_and_are_normalised():
    record = _order(["O1", "C1", "2025-01-01", "1", "", ""])
    assert (record.currency, record.status) == ("USD", "completed")
    record = _order(["O1", "C1", "2025-01-01", "1", "eur", "Refunded"])
    assert (record.currency, record.status) == ("EUR", "refunded")
    record = _order(["O1", "C1", "2025-01-01", "1"], header=ORDER_HEADER[:4])
    assert (record.currency, record.status) == ("USD", "completed")


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        (["", "C1", "2025-01-01", "1", "", ""], "order_id", "required"),
        (["O1", " ", "2025-01-01", "1", "", ""], "customer_id", "required"),
        (["O1", "C1", "", "1", "", ""], "placed_at", "required"),
        (["O1", "C1", "01/02/2025", "1", "", ""], "placed_at", "not an ISO 8601"),
        (["O1", "C1", "2025-02-30", "1", "", ""], "placed_at", "not an ISO 8601"),
        (["O1", "C1", "2025-01-01", "1", "EURO", ""], "currency", "ISO 4217"),
        (["O1", "C1", "2025-01-01", "1", "€", ""], "currency", "ISO 4217"),
        (["O1", "C1", "2025-01-01", "1", "", "shipped"], "status", "not a status"),
        pytest.param(
            ["O" * 101, "C1", "2025-01-01", "1", "", ""], "order_id", "longer than 100", id="long"
        ),
        (["O1", "C1", "2025-01-01", "1", ""], "", "the row has 5 fields, the header has 6"),
        (["O1", "C\x001", "2025-01-01", "1", "", ""], "customer_id", "NUL"),
    ],
)
def test_bad_order_rows_name_line_column_and_reason(cells, column, reason):
    with pytest.raises(ImportRowError) as caught:
        _order(cells)
    assert caught.value.line == 7
    assert caught.value.column == column
    assert reason in caught.value.reason


# --- customers ---------------------------------------------------------------------------------


def test_a_customer_row_keeps_only_the_files_columns_and_custom_attributes():
    record = _customer(
        ["customer_id", "email", "birthday", "created_at", "Loyalty tier", "notes"],
        [" C1 ", "ada@example.com", "1990-05-17", "2024-02-01", "gold", ""],
    )
    assert record.external_id == "C1"
    assert record.values == {
        "email": "ada@example.com",
        "birthday": date(1990, 5, 17),
        "created_at": datetime(2024, 2, 1, tzinfo=PARIS),
    }
    assert record.custom_attributes == {"Loyalty tier": "gold", "notes": None}


def test_empty_customer_cells_clear_the_field():
    record = _customer(["customer_id", "phone", "birthday"], ["C1", "", ""])
    assert record.values == {"phone": "", "birthday": None}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("email", "not-an-address", "not an email address"),
        ("email", "a b@example.com", "not an email address"),
        ("birthday", "17/05/1990", "YYYY-MM-DD"),
        ("birthday", "1990-02-30", "not a calendar date"),
        ("birthday", "19900517", "YYYY-MM-DD"),
        ("created_at", "yesterday", "not an ISO 8601"),
        pytest.param("phone", "1" * 41, "longer than 40", id="phone-too-long"),
        pytest.param("account", "A" * 201, "longer than 200", id="account-too-long"),
    ],
)
def test_bad_customer_rows_name_line_column_and_reason(column, value, reason):
    with pytest.raises(ImportRowError) as caught:
        _customer(["customer_id", column], ["C1", value])
    assert (caught.value.line, caught.value.column) == (3, column)
    assert reason in caught.value.reason


def test_empty_cells_past_the_header_are_no_data():
    record = _order(["O1", "C1", "2025-01-01", "1", "", "", "", ""])
    assert record.external_id == "O1"
    with pytest.raises(ImportRowError, match="the row has 7 fields, the header has 6"):
        _order(["O1", "C1", "2025-01-01", "1", "", "", "x"])
