"""`tenure check-data` finds rows stored before the limits, by model, column and id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.orders.models import Order
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def test_check_data_names_the_rows_outside_the_limits():
    register_commands()
    order = make_order(customer=make_customer(external_id="C1"))
    done = CliRunner().invoke(cli, ["check-data"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    # As an old version could store it: year 1 in UTC (SQLite and PostgreSQL both take it).
    Order.objects.filter(pk=order.pk).update(placed_at=datetime(1, 1, 2, tzinfo=UTC))
    done = CliRunner().invoke(cli, ["check-data"], catch_exceptions=False)
    assert done.exit_code == 1
    assert "orders.Order.placed_at: 1 outside" in done.output
    assert f"(ids {order.pk})" in done.output
