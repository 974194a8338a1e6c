"""The pure import rules agree with the tables the rows are stored in."""

from __future__ import annotations

from tenure.customers.models import Account, Customer
from tenure.domain.records import (
    AMOUNT_MAX_INTEGER_DIGITS,
    MAX_LENGTHS,
    ORDER_STATUSES,
)
from tenure.orders.models import Order, OrderStatus


def test_text_limits_are_the_column_widths():
    stored_in = {
        "customer_id": Customer._meta.get_field("external_id"),
        "order_id": Order._meta.get_field("external_id"),
        "account": Account._meta.get_field("name"),
        **{
            name: Customer._meta.get_field(name)
            for name in ("email", "first_name", "last_name", "phone", "channel", "category")
        },
    }
    assert {name: field.max_length for name, field in stored_in.items()} == MAX_LENGTHS


def test_amounts_and_statuses_fit_the_orders_table():
    amount = Order._meta.get_field("amount")
    assert amount.max_digits - amount.decimal_places == AMOUNT_MAX_INTEGER_DIGITS
    assert amount.decimal_places == 2
    assert set(ORDER_STATUSES) == set(OrderStatus.values)
