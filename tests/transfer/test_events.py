"""What an import tells the lifecycle engine through its events: with the cause ``"import"``,
the customers it created or changed, each dated by the earliest moment their history changed
(the events' ``at``)."""

from __future__ import annotations

import io

import pytest

from tenure.customers.models import Customer
from tenure.orders.models import Order
from tenure.transfer.services import customers_import, orders_import
from tests.transfer.conftest import csv_bytes, customer_figures_are_consistent
from tests.transfer.test_customers_import import HEADER as CUSTOMER_HEADER
from tests.transfer.test_customers_import import NOW

pytestmark = pytest.mark.django_db

ORDER_HEADER = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]


@pytest.fixture
def import_orders(django_capture_on_commit_callbacks):
    def run(rows, batch_size=100):
        with django_capture_on_commit_callbacks(execute=True):
            return orders_import(
                source=io.BytesIO(csv_bytes([ORDER_HEADER, *rows])),
                column_map={},
                batch_size=batch_size,
            )

    return run


@pytest.fixture
def import_customers(django_capture_on_commit_callbacks):
    def run(rows, batch_size=100):
        with django_capture_on_commit_callbacks(execute=True):
            return customers_import(
                source=io.BytesIO(csv_bytes([CUSTOMER_HEADER, *rows])),
                column_map={},
                now=NOW,
                batch_size=batch_size,
            )

    return run


def _ids(*external_ids):
    return dict(
        Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "id")
    )


def _placed(external_id):
    return Order.objects.get(external_id=external_id).placed_at


def test_an_import_of_orders_is_announced_as_an_import_dated_by_its_first_orders(
    announced, import_orders
):
    announced.skip()
    import_orders(
        [
            ["O1", "C1", "2025-01-05", "10", "", ""],
            ["O2", "C1", "2025-01-02", "20", "", ""],
            ["O3", "C2", "2025-01-01", "30", "", "refunded"],  # a new customer, no purchase
            ["O4", "C1", "2024-12-01", "40", "", ""],  # the next batch reaches further back
        ],
        batch_size=3,
    )
    ids = _ids("C1", "C2")
    # The test's commits run their callbacks at its end: one drain reads both batches' events.
    # A new order that is no purchase dates its customer too (a replay from there finds so).
    assert announced == [
        (
            sorted([ids["C1"], ids["C2"]]),
            "import",
            {ids["C1"]: _placed("O4"), ids["C2"]: _placed("O3")},
        )
    ]
    assert customer_figures_are_consistent()


def test_importing_the_same_orders_again_announces_nothing(announced, import_orders):
    rows = [["O1", "C1", "2025-01-05", "10", "", ""], ["O2", "C2", "2025-01-06", "5", "", ""]]
    announced.skip()
    import_orders(rows)
    announced.clear()
    result = import_orders(rows)
    assert result.unchanged == 2
    assert announced == []


def test_changed_orders_are_announced_as_of_the_earlier_of_their_old_and_new_dates(
    announced, import_orders
):
    announced.skip()
    import_orders(
        [
            ["O1", "C1", "2025-01-10", "10", "", ""],
            ["O2", "C3", "2025-01-20", "20", "", ""],
        ]
    )
    o1_before = _placed("O1")
    o2_before = _placed("O2")
    announced.clear()
    result = import_orders(
        [
            ["O1", "C2", "2025-01-04", "10", "", "refunded"],  # moved back, to another customer
            ["O2", "C3", "2025-01-25", "20", "", ""],  # moved later
        ]
    )
    assert (result.created, result.updated) == (0, 2)
    ids = _ids("C1", "C2", "C3")
    o1_after = _placed("O1")
    assert o1_after < o1_before
    assert announced == [
        (
            sorted(ids.values()),
            "import",
            {ids["C1"]: o1_after, ids["C2"]: o1_after, ids["C3"]: o2_before},
        )
    ]
    assert customer_figures_are_consistent()


def _customer(external_id, email):
    return [external_id, email, "", "", "", "", "", "", "", ""]


def test_a_customers_import_announces_created_and_changed_customers(announced, import_customers):
    announced.skip()
    import_customers(
        [_customer("C1", "a@example.com"), _customer("C2", "b@example.com")], batch_size=1
    )
    ids = _ids("C1", "C2")
    assert announced == [(sorted([ids["C1"], ids["C2"]]), "import", {})]

    announced.clear()
    import_customers([_customer("C1", "a@example.com"), _customer("C2", "new@example.com")])
    assert announced == [([ids["C2"]], "import", {})]  # C1 is unchanged: not announced

    announced.clear()
    import_customers([_customer("C1", "a@example.com"), _customer("C2", "new@example.com")])
    assert announced == []
