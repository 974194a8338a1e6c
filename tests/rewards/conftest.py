"""The rewards tests' fixtures: the loyalty program switched on, a customer with points, a
coupon of the business's own code, and a way to hand the orders' events to the consumer that
releases coupon uses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.loyalty.services import points_earn, program_update
from tenure.rewards.following import RELEASES
from tenure.rewards.services import coupon_create


@pytest.fixture
def program_on(db):
    return program_update(
        by=None,
        changes={"enabled": True, "points_per_unit": Decimal("1"), "negative_floor": -500,
                 "lot_lifetime_days": 365},
    )  # fmt: skip


@pytest.fixture
def earn(program_on):
    def give(customer, points: int, key: str = "seed") -> None:
        points_earn(by=None, customer_id=customer.pk, key=key, now=timezone.now(), points=points)

    return give


@pytest.fixture
def make_coupon(db):
    def make(**data):
        data.setdefault("kind", "percent")
        data.setdefault("value", Decimal("10"))
        return coupon_create(by=None, data=data, now=timezone.now())

    return make


@pytest.fixture
def follow():
    """Hand the waiting events to the releasing consumer (the worker's drain, now)."""

    def drain() -> int:
        return consumer_drain(RELEASES)

    return drain
