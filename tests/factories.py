"""Small factories for test records: each returns a saved object with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password

from tenure.customers.models import Account, Customer
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_refresh
from tenure.users.models import Role, User

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def make_user(*, role: str = Role.MANAGER, username: str | None = None, **fields: Any) -> User:
    username = username or f"user{next(_seq)}"
    user = User(username=username, role=role, **fields)
    user.password = make_password(PASSWORD, hasher="md5")  # fast; see tests/conftest.py
    user.save()
    return user


def make_account(**fields: Any) -> Account:
    fields.setdefault("name", f"Account {next(_seq)}")
    fields.setdefault("created_at", T0)
    return Account.objects.create(**fields)


def make_customer(**fields: Any) -> Customer:
    n = next(_seq)
    fields.setdefault("external_id", f"C{n:05d}")
    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", f"Lovelace{n}")
    fields.setdefault("email", f"ada{n}@example.com")
    fields.setdefault("created_at", T0)
    return Customer.objects.create(**fields)


def make_order(*, customer: Customer | None = None, **fields: Any) -> Order:
    customer = customer or make_customer()
    fields.setdefault("external_id", f"O{next(_seq):06d}")
    fields.setdefault("placed_at", T0)
    fields.setdefault("amount", Decimal("50.00"))
    fields.setdefault("currency", "USD")
    order = Order.objects.create(customer=customer, **fields)
    customer_stats_refresh(customer_ids=[customer.id])
    return order
