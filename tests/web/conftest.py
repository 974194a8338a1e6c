"""Fixtures of the web tests: a signed-in client and a small book of customers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from tenure.customers.models import Customer
from tenure.users.models import Role, User
from tests.factories import T0, make_account, make_customer, make_order, make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str) -> dict[str, str]:
    """The headers htmx sends when it swaps the element with id ``target``."""
    return {**HTMX, "HTTP_HX_TARGET": target}


@pytest.fixture
def manager(db) -> User:
    return make_user(role=Role.MANAGER, username="mia", first_name="Mia", last_name="Manager")


@pytest.fixture
def signed_in(client: Client, manager: User) -> Client:
    client.force_login(manager)
    return client


@pytest.fixture
def book(manager: User) -> dict[str, Customer]:
    """Four customers who differ in every column the list sorts and filters by."""
    other_owner = make_user(username="otto", first_name="Otto", last_name="Owner")
    acme = make_account(name="Acme Corp", industry="Retail")
    globex = make_account(name="Globex", industry="Energy")
    grace = make_customer(
        external_id="C-100",
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy.example",
        category="vip",
        channel="referral",
        account=acme,
        owner=manager,
        created_at=T0 - timedelta(days=400),
    )
    alan = make_customer(
        external_id="C-200",
        first_name="Alan",
        last_name="Turing",
        email="alan@bletchley.example",
        category="regular",
        channel="ads",
        account=globex,
        owner=other_owner,
        created_at=T0 - timedelta(days=300),
    )
    ada = make_customer(
        external_id="C-300",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@engines.example",
        category="vip",
        channel="ads",
        account=acme,
        owner=other_owner,
        created_at=T0 - timedelta(days=200),
    )
    edsger = make_customer(
        external_id="C-400",
        first_name="Edsger",
        last_name="Dijkstra",
        email="ewd@eindhoven.example",
        category="",
        channel="organic",
        created_at=T0 - timedelta(days=100),
    )  # no orders at all
    for days, amount in ((10, "100.00"), (20, "300.00")):
        make_order(customer=grace, placed_at=T0 + timedelta(days=days), amount=Decimal(amount))
    make_order(customer=alan, placed_at=T0 + timedelta(days=50), amount=Decimal("1000.00"))
    for days in (1, 2, 3):
        make_order(customer=ada, placed_at=T0 + timedelta(days=days), amount=Decimal("10.00"))
    return {"grace": grace, "alan": alan, "ada": ada, "edsger": edsger}
