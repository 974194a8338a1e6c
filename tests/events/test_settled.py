"""A reader never passes an event that a transaction still running may commit (PostgreSQL:
ids are drawn before commit, so a later id can commit first)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tenure.events.models import Event
from tenure.events.reading import Position, events_after
from tenure.events.record import NewEvent, events_record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def _write(key: str, started: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            events_record([NewEvent("import.committed", "import", None, None, key=key)])
            started.set()
            release.wait(10)
    finally:
        connections.close_all()


def test_an_event_committed_late_with_a_smaller_id_is_not_skipped():
    started, release = threading.Event(), threading.Event()
    slow = threading.Thread(target=_write, args=("slow", started, release))
    slow.start()
    assert started.wait(10)
    events_record([NewEvent("import.committed", "import", None, None, key="fast")])  # commits
    slow_id = None
    try:
        assert Event.objects.get(key="fast").pk > 0
        # The slow transaction drew the smaller id and has not committed: the fast event is
        # not read yet either, or a reader would move past the slow one for good.
        assert events_after(Position(), limit=10) == []
    finally:
        release.set()
        slow.join(10)
    # Settled once no older writing transaction runs, in any database of the server (other
    # tests' may, for a moment): wait for it rather than for a fixed time.
    deadline = time.monotonic() + 60
    while len(read := events_after(Position(), limit=10)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    slow_id = Event.objects.get(key="slow").pk
    assert [e.key for e in read] == ["slow", "fast"]
    assert slow_id < read[1].pk
    assert connection.vendor == "postgresql"


def test_a_transaction_in_another_database_holds_nothing_back():
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings.get("HOST") or "127.0.0.1", port=settings.get("PORT") or 5432,
        user=settings.get("USER") or "postgres", dbname="postgres",
    )  # fmt: skip
    try:
        other.execute("SELECT txid_current()")  # a writing transaction, open, elsewhere
        events_record([NewEvent("import.committed", "import", None, None, key="here")])
        assert [e.key for e in events_after(Position(), limit=10)] == ["here"]
    finally:
        other.rollback()
        other.close()


def _committed_elsewhere(key: str) -> None:
    """An event written and committed by another connection (a thread's), now."""

    def write() -> None:
        try:
            events_record([NewEvent("import.committed", "import", None, None, key=key)])
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)


def test_a_reader_never_passes_what_its_own_transaction_will_write():
    """A consumer's batch takes a transaction id when it locks its position, then records
    events of its own: events of younger transactions, committed meanwhile, wait for the next
    read, or the position would pass the events this one is about to write."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")  # the batch's own id, as its lock takes
        _committed_elsewhere("younger")
        assert Event.objects.filter(key="younger").exists()  # committed, visible
        assert events_after(Position(), limit=10) == []  # but not read past this transaction
        events_record([NewEvent("import.committed", "import", None, None, key="own")])
        read = events_after(Position(), limit=10)
    assert [e.key for e in read] == ["own"]  # its own, older than the younger one
    later = events_after(Position(), limit=10)
    assert [e.key for e in later] == ["own", "younger"]  # the older transaction's first


def test_a_transaction_reads_its_own_events_when_nothing_older_runs():
    with transaction.atomic():
        events_record([NewEvent("import.committed", "import", None, None, key="mine")])
        assert [e.key for e in events_after(Position(), limit=10)] == ["mine"]


def test_a_drain_after_commit_handles_what_a_transaction_ending_mid_drain_held_back(
    monkeypatch,
):
    """Without a worker (``EVENTS_DELIVERY = "on_commit"``) the drain after a write is the only
    one. Here a transaction begun before the writer's (another drain's, say) holds the
    writer's event back, and ends while the drain is reading: the drain goes on until it has
    read what was held back, not only until nothing is held back any more."""
    from datetime import timedelta
    from decimal import Decimal

    import psycopg

    from tenure.events import consumers
    from tenure.events.models import ConsumerPosition
    from tenure.events.reading import events_held_back
    from tenure.orders.services import order_create
    from tests.factories import T0, make_customer

    customer = make_customer()
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings.get("HOST") or "127.0.0.1", port=settings.get("PORT") or 5432,
        user=settings.get("USER") or "postgres", dbname=settings["NAME"],
    )  # fmt: skip
    other.execute("SELECT txid_current()")  # older than the writer's: holds its events back
    drains = []
    drain = consumers.consumers_drain

    def drain_then_end_the_other() -> dict[str, int]:
        done = drain()
        drains.append(done)
        if len(drains) == 1:
            other.rollback()  # ends after the first drain read, before anything else is asked
        return done

    monkeypatch.setattr(consumers, "consumers_drain", drain_then_end_the_other)
    try:
        order_create(
            external_id="HELD-1",
            customer_id=customer.pk,
            placed_at=T0 + timedelta(days=3),
            amount=Decimal("12.00"),
            currency="USD",
        )
    finally:
        other.close()
    assert drains[0]["lifecycle.stages"] == 0  # the first drain found the event held back
    assert len(drains) >= 2
    assert not events_held_back()
    placed = Event.objects.get(kind="order.placed", customer_id=customer.pk)
    stages = ConsumerPosition.objects.get(name="lifecycle.stages")
    assert Position(stages.tx, stages.event_id) >= Position.of(placed)  # handled, not left
