"""Consumers follow the events from a stored position: each batch's effects and the position
commit together, so a failure repeats the batch and nothing is done twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenure.events.consumers import (
    _CONSUMERS,
    Consumer,
    consumer_drain,
    consumer_position,
    consumer_register,
)
from tenure.events.models import ConsumerPosition, Event
from tenure.events.reading import Position, end_position, events_after
from tenure.events.record import NewEvent, events_record
from tenure.todos.models import Task
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    names: list[str] = []

    def register(consumer: Consumer) -> Consumer:
        consumer_register(consumer)
        names.append(consumer.name)
        return consumer

    yield register
    for name in names:
        _CONSUMERS.pop(name, None)


def _events(n: int, start: int = 0) -> None:
    events_record(
        NewEvent("import.committed", "import", i, None, key=f"test:{i}")
        for i in range(start, start + n)
    )


def test_a_consumer_handles_every_event_once_in_order_batch_by_batch(registered):
    seen: list[int] = []
    consumer = registered(
        Consumer("test.all", lambda batch: seen.extend(e.subject_id for e in batch), batch=7)
    )
    _events(20)
    assert consumer_drain(consumer) == 20
    assert seen == list(range(20))
    assert consumer_drain(consumer) == 0  # nothing waits
    _events(3, start=20)
    assert consumer_drain(consumer) == 3
    assert seen == list(range(23))
    position = ConsumerPosition.objects.get(name="test.all")
    assert (position.handled, position.failures) == (23, 0)


def test_a_failing_batch_leaves_no_effect_and_is_retried_after_a_pause(registered):
    customer, owner = make_customer(), make_user()
    calls = {"n": 0}

    def handle(batch):
        calls["n"] += 1
        Task.objects.create(
            title="effect", customer=customer, owner=owner, due=timezone.localdate()
        )
        if calls["n"] == 1:
            raise RuntimeError("the receiver is away")

    consumer = registered(Consumer("test.flaky", handle))
    _events(5)
    assert consumer_drain(consumer) == 0
    stuck = ConsumerPosition.objects.get(name="test.flaky")
    assert stuck.failures == 1 and "the receiver is away" in stuck.error
    assert stuck.retry_at is not None and stuck.retry_at > timezone.now()
    assert not Task.objects.exists()  # the batch's effect went with it
    assert consumer_drain(consumer) == 0  # pausing
    ConsumerPosition.objects.filter(pk=stuck.pk).update(retry_at=timezone.now() - timedelta(1))
    assert consumer_drain(consumer) == Event.objects.count()  # the customer's, and the five
    assert Task.objects.count() == 1  # once
    again = ConsumerPosition.objects.get(name="test.flaky")
    assert (again.failures, again.error, again.retry_at) == (0, "", None)


def test_a_position_moved_by_another_drain_rolls_the_batch_back(registered):
    effects: list[int] = []

    def handle(batch):
        effects.append(len(batch))
        # Another worker finished the same batch meanwhile (as if it held no lock).
        ConsumerPosition.objects.filter(name="test.raced").update(event_id=10**9, tx=10**12)

    consumer = registered(Consumer("test.raced", handle))
    _events(2)
    assert consumer_drain(consumer) == 0
    assert ConsumerPosition.objects.get(name="test.raced").event_id == 0  # rolled back too


def test_a_consumer_from_now_skips_the_past(registered):
    _events(4)
    seen: list[int] = []
    consumer = registered(
        Consumer("test.late", lambda b: seen.extend(e.subject_id for e in b), from_now=True)
    )
    consumer_position(consumer)
    _events(2, start=4)
    consumer_drain(consumer)
    assert seen == [4, 5]


def test_a_key_written_twice_is_one_event():
    events_record([NewEvent("import.committed", "import", 1, None, key="same")])
    events_record([NewEvent("import.committed", "import", 1, None, key="same")])
    assert Event.objects.filter(key="same").count() == 1


def test_positions_read_back_as_cursors():
    _events(3)
    first = events_after(Position(), limit=2)
    rest = events_after(Position.of(first[-1]), limit=10)
    assert [e.subject_id for e in [*first, *rest]] == [0, 1, 2]
    assert Position.parse(Position.of(first[-1]).token()) == Position.of(first[-1])
    assert end_position() == Position.of(rest[-1])
    for bad in ("", "1", "a.b", "1.2.3", "-1.2", "9" * 50 + ".1"):
        with pytest.raises(ValueError):
            Position.parse(bad)
    if connection.vendor == "postgresql":
        assert first[0].tx > 0  # the writing transaction's id
