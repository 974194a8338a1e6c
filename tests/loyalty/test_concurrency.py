"""50 redemptions of 100 points at once against a balance of 1,000 on PostgreSQL, each in its
own thread, connection and transaction: the balance row's lock makes them wait for each
other, so exactly 10 succeed, the other 40 are told the balance, and no moment of the
ledger goes below zero through a redemption."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry, PointsLot
from tenure.loyalty.selectors import balances_reconcile
from tenure.loyalty.services import PointsRefused, points_earn, points_redeem
from tests.factories import make_customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks are PostgreSQL's"),
]


def test_fifty_concurrent_redemptions_of_100_against_1000_exactly_ten_succeed(program_on, settings):
    settings.EVENTS_DELIVERY = "worker"  # no drain of every consumer after each commit
    customer = make_customer()
    now = timezone.now()
    for n in range(4):  # 250 x 4 = 1,000 in four lots
        points_earn(by=None, customer_id=customer.pk, key=f"lot-{n}", now=now, points=250)
    start = threading.Barrier(50)
    done: list[int] = []
    refused: list[str] = []
    other: list[BaseException] = []

    def redeem(n: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                entry, _ = points_redeem(
                    by=None, customer_id=customer.pk, points=100, key=f"till-{n}",
                    now=timezone.now(),
                )  # fmt: skip
            done.append(entry.pk)
        except PointsRefused as error:
            refused.append(str(error))
        except BaseException as error:  # reported to the test
            other.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert other == []
    assert len(done) == 10
    assert len(refused) == 40
    assert set(refused) == {"balance 0, asked 100"}
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 0
    assert set(PointsLot.objects.values_list("remaining", flat=True)) == {0}
    # Walking the ledger in its order, the balance never dips below zero.
    running = 0
    for points in (
        PointsEntry.objects.filter(customer=customer)
        .order_by("id")
        .values_list("points", flat=True)
    ):
        running += points
        assert running >= 0
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 10
    assert balances_reconcile() == (1, [])
