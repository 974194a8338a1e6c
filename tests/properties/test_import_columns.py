"""Property: whatever a cell of an import file holds (hostile moments, text, numbers, sizes;
``tests.strategies``) in any column, the import never fails as a whole: each row is stored or
rejected with its line, column and reason, and everything stored reads back through every
reader (``readback.read_everything``)."""

from __future__ import annotations

import csv
import io
import itertools
import os
from datetime import UTC, datetime

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tenure.domain.records import CUSTOMER_FIELDS, ORDER_FIELDS
from tenure.transfer.services import customers_import, orders_import
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.properties.readback import read_everything
from tests.strategies import csv_safe_text, days, moments, numbers

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("TENURE_PROPERTY_EXAMPLES", "6")) * 3
SEED = int(os.environ.get("TENURE_PROPERTY_SEED", "0"))
NOW = datetime(2025, 6, 1, tzinfo=UTC)
_serial = itertools.count(1)

VALID = {
    "email": "a@example.com",
    "first_name": "Ada",
    "last_name": "Byron",
    "phone": "+44 1",
    "birthday": "1990-05-01",
    "account": "Acme",
    "channel": "web",
    "category": "vip",
    "created_at": "2024-01-01T10:00:00Z",
    "placed_at": "2025-01-01T10:00:00+02:00",
    "amount": "19.90",
    "currency": "EUR",
    "status": "completed",
    "notes": "kept as a custom attribute",
}


def _cell() -> st.SearchStrategy[str]:
    return st.one_of(
        csv_safe_text(), moments(), days(), numbers().map(str), st.sampled_from(["", " "])
    )


@st.composite
def _rows(draw: st.DrawFn, header: list[str]) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        number = next(_serial)
        row = [
            f"C{number % 5}" if name == "customer_id" else f"O{number}" if name == "order_id"
            else VALID[name]
            for name in header
        ]  # fmt: skip
        for position in draw(st.lists(st.integers(0, len(header) - 1), max_size=3, unique=True)):
            row[position] = draw(_cell())
        rows.append(row)
    return rows


def _file(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def test_no_cell_fails_an_import_and_every_stored_row_reads_back(client, tmp_path):
    customers_header = [*CUSTOMER_FIELDS, "notes"]
    orders_header = list(ORDER_FIELDS)

    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=not SEED, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @seed(SEED)
    @given(customers=_rows(customers_header), orders=_rows(orders_header))
    def import_both(customers, orders):
        rejected: list = []
        for rows, run in (
            (customers, lambda source: customers_import(
                source=source, column_map={}, now=NOW, on_reject=rejected.append)),
            (orders, lambda source: orders_import(
                source=source, column_map={}, on_reject=rejected.append)),
        ):  # fmt: skip
            rejected.clear()
            result = run(_file(customers_header if rows is customers else orders_header, rows))
            assert result.rows_read == len(rows)
            assert result.rows_stored + result.rejected == len(rows)
            for row in rejected:
                assert row.line >= 2 and row.reason, row

    import_both()
    api = Api(client, role=Role.ADMIN)
    web = Client()
    web.force_login(api.user)
    read_everything(api, web, tmp_path)
