"""Webhooks end to end against a real HTTP receiver on loopback: signed requests, every event
once (after de-duplication by key) and in order per customer through a receiver that fails,
the back-off schedule, giving up, subscriptions, and no second delivery for a batch handled
again."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.events.reading import Position
from tenure.orders.services import order_create, order_update
from tenure.transfer.services import orders_import
from tenure.webhooks.following import DELIVERIES, deliveries_make
from tenure.webhooks.models import Delivery, DeliveryStatus
from tenure.webhooks.sending import MAX_ATTEMPTS, RETRY_DELAYS, deliveries_send, retry_delay
from tenure.webhooks.services import deliveries_send_again, endpoint_create
from tests.factories import T0, make_customer
from tests.transfer.conftest import csv_bytes
from tests.webhooks.receiver import Receiver, failing

pytestmark = pytest.mark.django_db

PAYLOAD_KEYS = {"id", "key", "kind", "customer_id", "subject", "subject_id", "at", "recorded_at"}


def verified(secret: str, headers, body: bytes) -> bool:
    """The receiver's check from ``tenure.webhooks.signing``'s docstring (the age of the
    timestamp left out: the tests send at made-up moments)."""
    timestamp = headers["Tenure-Timestamp"]
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    given = [part.removeprefix("v1=") for part in headers["Tenure-Signature"].split(",")]
    return any(hmac.compare_digest(expected, g.strip()) for g in given)


def _order(customer, n, placed_at=T0):
    return order_create(
        external_id=f"O{n}",
        customer_id=customer.pk,
        placed_at=placed_at,
        amount=Decimal("12.30"),
        currency="EUR",
    )


class _Middle(random.Random):
    def random(self) -> float:
        return 0.5  # no jitter: the schedule as written


def _send_until_settled(now, *, rng=None, rounds=200, step=timedelta(days=1)):
    """Send, moving the clock a day on each round, until nothing is pending."""
    for _ in range(rounds):
        deliveries_send(now=now, limit=1000, rng=rng or random.Random(7))
        if not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            return now
        now += step
    raise AssertionError("deliveries still pending")


def test_a_request_is_signed_with_the_endpoint_secret_and_no_other(receiver):
    endpoint, secret = endpoint_create(by=None, url=receiver.url)
    customer = make_customer()
    order = _order(customer, 1)
    consumer_drain(DELIVERIES)

    # customer.created, then order.placed: one of a customer's at a time
    assert [deliveries_send(), deliveries_send()] == [1, 1]
    assert [r.status for r in receiver.received] == [200, 200]
    request = receiver.received[-1]
    payload = json.loads(request.body)
    assert set(payload) == PAYLOAD_KEYS | {"data"}
    assert payload["kind"] == "order.placed" and payload["subject_id"] == order.pk
    assert payload["data"]["amount"] == "12.30"
    assert request.headers["Tenure-Event-Key"] == payload["key"] == f"order.placed:{order.pk}"
    assert request.headers["Tenure-Event-Id"] == str(payload["id"])
    assert request.headers["Tenure-Signature"].startswith("v1=")
    assert verified(secret, request.headers, request.body)
    assert not verified(secret + "x", request.headers, request.body)
    assert not verified(secret, request.headers, request.body.replace(b"12.30", b"99.99"))
    moment = int(request.headers["Tenure-Timestamp"])
    later = {**request.headers, "Tenure-Timestamp": str(moment + 1)}
    assert not verified(secret, later, request.body)  # the timestamp is signed too
    delivery = Delivery.objects.get(endpoint=endpoint, event_id=payload["id"])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.response_ms is not None
    assert deliveries_send() == 0  # delivered once


def test_every_event_reaches_a_flaky_receiver_once_and_in_order_per_customer(
    django_capture_on_commit_callbacks,
):
    with Receiver(failing(0.30, seed=13)) as receiver:
        endpoint, _ = endpoint_create(by=None, url=receiver.url)
        customers = [make_customer() for _ in range(30)]
        rng = random.Random(5)
        orders = []
        for n in range(150):
            placed = T0 + timedelta(days=rng.randrange(300))
            orders.append(_order(rng.choice(customers), n, placed))
        for order in orders[::10]:
            order_update(order_id=order.pk, changes={"status": "refunded"})
        # An import: known customers' new orders and changed ones, and new customers.
        rows = [["order_id", "customer_id", "placed_at", "amount", "currency", "status"]]
        for n in range(150, 300):
            who = rng.choice(customers).external_id if n % 3 else f"NEW{n % 17}"
            rows.append([f"O{n}", who, "2025-06-01", "5.00", "EUR", ""])
        rows += [[f"O{n}", customers[0].external_id, "2025-06-02", "7.00", "EUR", ""]
                 for n in range(0, 20)]  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            result = orders_import(source=io.BytesIO(csv_bytes(rows)), column_map={}, batch_size=40)
        assert result.rejected == 0, result
        consumer_drain(DELIVERIES)

        start = Position(endpoint.start_tx, endpoint.start_event_id)
        events = [e for e in Event.objects.order_by("tx", "id") if Position.of(e) > start]
        # 30 customers, 150 orders and 15 refunds; the import's 150 orders, 20 changed
        # orders and its new customers
        new_customers = len({f"NEW{n % 17}" for n in range(150, 300, 3)})
        # (besides the lifecycle engine's own: the stages and health bands these moved)
        written = [e for e in events if not e.kind.startswith(("stage.", "health."))]
        assert len(written) == 30 + 150 + 15 + 150 + 20 + new_customers + 1  # import.committed
        assert {e.via for e in events} >= {"import"}
        assert Delivery.objects.filter(endpoint=endpoint).count() == len(events)

        _send_until_settled(timezone.now())

    received = receiver.received
    assert sum(r.status == 500 for r in received) > 0.2 * len(received)  # it did fail
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == len(events)
    acknowledged = [json.loads(r.body)["key"] for r in received if r.status == 200]
    assert sorted(acknowledged) == sorted(e.key for e in events)  # each once
    first_seen: dict[int | None, list[str]] = defaultdict(list)
    seen = set()
    for request in received:
        payload = json.loads(request.body)
        if payload["key"] not in seen:
            seen.add(payload["key"])
            first_seen[payload["customer_id"]].append(payload["key"])
    for customer_id, keys in first_seen.items():
        if customer_id is None:
            continue
        in_order = [e.key for e in events if e.customer_id == customer_id]
        assert keys == in_order, customer_id


def test_the_back_off_schedule_as_written():
    middle = _Middle()
    delays = [retry_delay(attempts, middle) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert [d.total_seconds() if d else None for d in delays] == [
        10, 30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 86400, None
    ]  # fmt: skip
    assert sum(RETRY_DELAYS, timedelta()) == timedelta(hours=70, minutes=12, seconds=40)

    class Low(random.Random):
        def random(self) -> float:
            return 0.0

    assert retry_delay(1, Low()) == timedelta(seconds=9)  # -10 %
    jittered = {retry_delay(3, random.Random(seed)) for seed in range(50)}
    assert len(jittered) > 40  # spread, not one moment
    assert all(timedelta(seconds=108) <= d <= timedelta(seconds=132) for d in jittered)


def test_a_failing_endpoint_is_retried_on_the_schedule_then_given_up_with_the_reason():
    with Receiver(lambda request: 503) as receiver:
        endpoint_create(by=None, url=receiver.url)
        make_customer()
        consumer_drain(DELIVERIES)
        delivery = Delivery.objects.get()
        now = delivery.next_try_at
        for attempt in range(1, MAX_ATTEMPTS):
            assert deliveries_send(now=now, rng=_Middle()) == 1
            delivery.refresh_from_db()
            assert delivery.status == "pending" and delivery.attempts == attempt
            assert delivery.next_try_at - now == RETRY_DELAYS[attempt - 1]
            assert delivery.last_error == "the endpoint answered 503"
            assert delivery.last_status_code == 503
            # not before it is due
            assert deliveries_send(now=delivery.next_try_at - timedelta(seconds=1)) == 0
            now = delivery.next_try_at
        assert deliveries_send(now=now, rng=_Middle()) == 1
        assert deliveries_send(now=now + timedelta(days=30)) == 0
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS == 11
    assert delivery.last_error == "gave up after 11 attempts; the last: the endpoint answered 503"
    assert len(receiver.received) == 11

    # Sent again by an admin: a fresh schedule, due now.
    assert deliveries_send_again(by=None, delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_no_answer_and_no_listener_are_failures_in_words():
    with Receiver() as receiver:
        url = receiver.url
    # the receiver is gone: nothing listens on its port
    endpoint_create(by=None, url=url)
    make_customer()
    consumer_drain(DELIVERIES)
    deliveries_send()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("could not connect:"), delivery.last_error
    assert delivery.last_status_code is None


def test_an_earlier_pending_delivery_holds_its_customers_later_ones():
    answers = iter([500, 200, 200, 200, 200, 200])
    with Receiver(lambda request: next(answers)) as receiver:
        endpoint_create(by=None, url=receiver.url)
        customer = make_customer()
        _order(customer, 1)
        _order(customer, 2)
        consumer_drain(DELIVERIES)
        now = timezone.now()
        assert deliveries_send(now=now) == 1  # customer.created only; it fails
        assert deliveries_send(now=now) == 0  # leased and then waiting: the orders wait too
        assert deliveries_send(now=now + timedelta(seconds=9)) == 0
        later = now + timedelta(seconds=12)
        assert deliveries_send(now=later) == 1  # customer.created again, delivered
        assert deliveries_send(now=later) == 1  # then the first order
        assert deliveries_send(now=later) == 1  # then the second
    kinds = [json.loads(r.body)["kind"] for r in receiver.received]
    assert kinds == ["customer.created", "customer.created", "order.placed", "order.placed"]


def test_an_endpoint_for_order_placed_gets_nothing_else(receiver):
    endpoint_create(by=None, url=receiver.url, kinds=["order.placed"])
    customer = make_customer()
    order = _order(customer, 1)
    order_update(order_id=order.pk, changes={"status": "refunded"})
    order_update(order_id=order.pk, changes={"amount": Decimal("3.00")})
    consumer_drain(DELIVERIES)
    assert Event.objects.count() >= 4
    while deliveries_send():
        pass
    assert [json.loads(r.body)["kind"] for r in receiver.received] == ["order.placed"]


def test_a_batch_handled_again_makes_no_second_delivery(receiver):
    endpoint_create(by=None, url=receiver.url)
    customer = make_customer()
    _order(customer, 1)
    consumer_drain(DELIVERIES)
    made = set(Delivery.objects.values_list("endpoint_id", "event_id"))
    assert len(made) == 2
    # The position moved back (a worker killed after its effects, before its commit, is the
    # same batch handled again): the rows are there already.
    ConsumerPosition.objects.filter(name=DELIVERIES.name).update(tx=0, event_id=0)
    assert consumer_drain(DELIVERIES) == 2
    deliveries_make(list(Event.objects.all()))
    assert set(Delivery.objects.values_list("endpoint_id", "event_id")) == made
    assert Delivery.objects.count() == 2


def test_an_endpoint_gets_only_the_events_after_it_was_made(receiver):
    customer = make_customer()
    endpoint_create(by=None, url=receiver.url)
    _order(customer, 1)
    consumer_drain(DELIVERIES)
    assert list(Delivery.objects.values_list("event__kind", flat=True)) == ["order.placed"]


def test_a_claimed_delivery_is_not_claimed_again_while_leased(receiver):
    from tenure.webhooks.sending import _claim

    endpoint_create(by=None, url=receiver.url)
    make_customer()
    consumer_drain(DELIVERIES)
    now = timezone.now()
    assert len(_claim(now, 10)) == 1
    assert _claim(now, 10) == []  # a second sender finds nothing
    assert len(_claim(now + timedelta(minutes=3), 10)) == 1  # the first sender died: lease over
