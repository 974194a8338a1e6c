"""A small book of customers placed in their lifecycle stages by the real recompute, shared by
the lifecycle page, API and browser tests.

The success manager ("sam") owns two customers at risk and one new buyer; another owner
("otto") has three at risk, two new buyers, one churned customer and a lead. So every count a
success manager sees differs from the whole base's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from tenure.customers.models import Customer
from tenure.lifecycle.services import health_recompute, lifecycle_recompute
from tenure.users.models import Role, User
from tests.factories import make_customer, make_order, make_user


@dataclass
class Book:
    now: datetime
    sam: User
    otto: User
    at_risk: dict[str, list[Customer]] = field(default_factory=dict)
    new: dict[str, list[Customer]] = field(default_factory=dict)
    churned: list[Customer] = field(default_factory=list)
    lead: Customer | None = None


def _bought(owner: User, days_ago: list[int], amount: str, **fields) -> Customer:
    now = timezone.now()
    customer = make_customer(
        owner=owner, created_at=now - timedelta(days=max(days_ago) + 1), **fields
    )
    for days in days_ago:
        make_order(customer=customer, placed_at=now - timedelta(days=days), amount=Decimal(amount))
    return customer


def lifecycle_book(*, sam: User | None = None) -> Book:
    sam = sam or make_user(
        role=Role.SUCCESS_MANAGER, username="sam", first_name="Sam", last_name="Success"
    )
    otto = make_user(role=Role.MANAGER, username="otto", first_name="Otto", last_name="Owner")
    book = Book(now=timezone.now(), sam=sam, otto=otto)
    # Two orders 50 days apart, the last 110 days ago: slower than twice their own rhythm.
    book.at_risk = {
        "sam": [
            _bought(sam, [160, 110], "400.00", first_name="Rita", last_name="Risk"),
            _bought(sam, [165, 112], "90.00", first_name="Rob", last_name="Risk"),
        ],
        "otto": [_bought(otto, [170 + n, 115 + n], "60.00") for n in range(3)],
    }
    book.new = {
        "sam": [_bought(sam, [5], "70.00", first_name="Nina", last_name="New")],
        "otto": [_bought(otto, [3 + n], "40.00") for n in range(2)],
    }
    book.churned = [_bought(otto, [420, 380], "30.00")]
    book.lead = make_customer(owner=otto, created_at=timezone.now() - timedelta(days=2))
    lifecycle_recompute(now=book.now)
    health_recompute(now=book.now)
    return book
