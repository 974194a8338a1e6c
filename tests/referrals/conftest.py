"""The referral tests' fixtures: the loyalty program on (1 point per currency unit, a 30-day
refund window), referral rewards of 100 points for the referrer and 50 for the customer
referred, and a clock that can be moved forward (``clock.move(days=31)``).

The project has no freezing library (no freezegun, no time-machine among its dependencies),
so the clock is ``django.utils.timezone.now`` replaced for the test: every service, the
events, the jobs' runner and the ledger read the time through it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.loyalty.services import program_update as loyalty_update
from tenure.referrals.services import program_update


@pytest.fixture
def rewards_on(db):
    loyalty_update(
        by=None,
        changes={"enabled": True, "points_per_unit": Decimal("1"), "refund_window_days": 30,
                 "lot_lifetime_days": None},
    )  # fmt: skip
    return program_update(by=None, changes={"referrer_points": 100, "referred_points": 50})


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        real = timezone.now

        def now() -> datetime:
            return real() + self.offset

        monkeypatch.setattr(timezone, "now", now)

    def move(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def follow():
    """Hand the waiting events to the points' and the referrals' consumers (the worker's
    drain, now: a test's transaction never commits, so nothing runs on commit)."""
    from tenure.events.consumers import consumer_drain
    from tenure.loyalty.following import POINTS
    from tenure.referrals.following import FIRST_ORDERS

    def drain() -> None:
        consumer_drain(POINTS)
        consumer_drain(FIRST_ORDERS)

    return drain
