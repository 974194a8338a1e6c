"""Two senders never take the same delivery (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, one writer on SQLite), and a sender whose lease ran out writes nothing over the
attempt that took the delivery after it."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.events.models import Event
from tenure.webhooks.following import DELIVERIES
from tenure.webhooks.models import Delivery
from tenure.webhooks.sending import Outcome, _claim, _record
from tenure.webhooks.services import endpoint_create
from tests.factories import make_customer


@pytest.mark.django_db(transaction=True)
def test_two_senders_claim_disjoint_deliveries():
    endpoint_create(by=None, url="https://hooks.example.com/x")
    for _ in range(40):
        make_customer()
    consumer_drain(DELIVERIES)
    # each customer's creation, and the stage the lifecycle engine placed them in
    assert Delivery.objects.count() == Event.objects.count() >= 40
    now = timezone.now()
    start = threading.Barrier(2)
    taken: list[list[int]] = [[], []]

    def sender(slot: int) -> None:
        try:
            start.wait(10)
            for _ in range(20):
                taken[slot] += [one.delivery_id for one in _claim(now, 3)]
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    if connection.vendor == "postgresql":  # SQLite lets one writer in at a time
        assert taken[0] and taken[1]  # both took some
    assert not set(taken[0]) & set(taken[1])
    # Each customer's first delivery (their creation); the next waits for it: in order.
    firsts = Delivery.objects.filter(event__kind="customer.created")
    assert sorted(taken[0] + taken[1]) == sorted(firsts.values_list("id", flat=True))
    assert set(firsts.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_sender_past_its_lease_writes_nothing():
    endpoint_create(by=None, url="https://hooks.example.com/x")
    make_customer()
    consumer_drain(DELIVERIES)
    now = timezone.now()
    [slow] = _claim(now, 10)
    [fast] = _claim(now + timedelta(minutes=3), 10)  # the lease ran out: taken again
    _record([fast], [Outcome(200, "", 5)], now, random.Random(1))
    _record([slow], [Outcome(500, "the endpoint answered 500", 9000)], now, random.Random(1))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.last_error == ""
