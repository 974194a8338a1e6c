"""The loyalty tests' fixtures: the program switched on (1 point per currency unit, floor
-500, lots living 365 days), and a way to hand the orders' events to the points consumer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.events.consumers import consumer_drain
from tenure.loyalty.following import POINTS
from tenure.loyalty.services import program_update


@pytest.fixture
def program_on(db):
    return program_update(
        by=None,
        changes={"enabled": True, "points_per_unit": Decimal("1"), "negative_floor": -500,
                 "lot_lifetime_days": 365},
    )  # fmt: skip


@pytest.fixture
def follow():
    """Hand the waiting events to the points consumer (the worker's drain, now)."""

    def drain() -> int:
        return consumer_drain(POINTS)

    return drain
