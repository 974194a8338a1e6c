"""20 checkouts at once with one single-use coupon, each in its own thread, connection and
transaction: the coupon's row lock (PostgreSQL's ``SELECT ... FOR UPDATE``; SQLite's write
lock, ``BEGIN IMMEDIATE``) makes them wait for each other, so exactly one succeeds and the
other 19 are told "this coupon has been used". The same with the same key from 20 tills (a
retried request): one redemption, each told it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tenure.events.models import Event
from tenure.rewards.models import Coupon, CouponRedemption
from tenure.rewards.services import CouponRefused, coupon_create, coupon_redeem
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20


def together(work: Callable[[int], object]) -> tuple[list[object], list[str], list[BaseException]]:
    """``work(n)`` for n in 0..19 at once: (results, refusals, other errors)."""
    start = threading.Barrier(THREADS)
    done: list[object] = []
    refused: list[str] = []
    other: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                done.append(work(n))
        except CouponRefused as error:
            refused.append(str(error))
        except BaseException as error:  # reported to the test
            other.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, refused, other


def test_twenty_checkouts_with_one_single_use_coupon_exactly_one_succeeds(settings):
    settings.EVENTS_DELIVERY = "worker"  # no drain of every consumer after each commit
    coupon_create(by=None, data={"kind": "fixed", "value": Decimal("5"), "code": "ONLY-ONE",
                                 "max_uses": 1}, now=timezone.now())  # fmt: skip
    customers = [make_customer() for _ in range(THREADS)]

    def checkout(n: int) -> object:
        return coupon_redeem(
            by=None, code="only-one", customer_id=customers[n].pk, key=f"checkout-{n}",
            now=timezone.now(), order_amount=Decimal("30.00"),
        )  # fmt: skip

    done, refused, other = together(checkout)
    assert other == []
    assert len(done) == 1
    assert refused == ["this coupon has been used"] * (THREADS - 1)
    assert Coupon.objects.get(code="ONLY-ONE").uses == 1
    assert CouponRedemption.objects.count() == 1
    assert Event.objects.filter(kind="coupon.redeemed").count() == 1


def test_twenty_retries_of_one_key_at_once_record_one_redemption(settings):
    settings.EVENTS_DELIVERY = "worker"
    coupon_create(by=None, data={"kind": "percent", "value": Decimal("10"), "code": "RETRY"},
                  now=timezone.now())  # fmt: skip
    customer = make_customer()

    def retry(_n: int) -> object:
        redemption, _new = coupon_redeem(
            by=None, code="RETRY", customer_id=customer.pk, key="the-same", now=timezone.now(),
            order_amount=Decimal("30.00"),
        )  # fmt: skip
        return redemption.pk

    done, refused, other = together(retry)
    assert (other, refused) == ([], [])
    assert len(set(done)) == 1 and len(done) == THREADS
    assert Coupon.objects.get(code="RETRY").uses == 1
    assert CouponRedemption.objects.count() == 1
