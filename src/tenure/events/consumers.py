"""Consumers: code that follows the events, each from a stored position, run by the worker.

A consumer handles a batch of events inside one transaction with the update of its position,
so its effects on the database and its progress commit together: a worker killed mid-batch
leaves neither, and the batch is handled again, once, by the next drain. (Effects outside the
database, a webhook's request, are at least once: their consumers record a delivery in the
batch's transaction and send it apart, see ``tenure.webhooks``.)

The position row is locked for the batch (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
transactions take the write lock as they begin), so two drains never handle the same batch: the
second waits, then reads from where the first left off; the position is advanced only if it is
still where the batch began.

A consumer that fails is retried with a pause that doubles (2 s up to 10 minutes); its error
is kept on its position (``tenure events`` and the admin show it) and the consumers after it
go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tenure.events.models import ConsumerPosition, Event
from tenure.events.reading import Position, end_position, events_after, events_held_back

logger = logging.getLogger(__name__)

MAX_PAUSE = timedelta(minutes=10)


@dataclass(frozen=True)
class Consumer:
    name: str
    handle: Callable[[Sequence[Event]], None]  # runs inside the batch's transaction
    kinds: frozenset[str] | None = None  # None: every kind
    batch: int = 5000
    from_now: bool = False  # a new consumer starts after the events already there


_CONSUMERS: dict[str, Consumer] = {}


def consumer_register(consumer: Consumer) -> None:
    _CONSUMERS[consumer.name] = consumer


def consumers() -> list[Consumer]:
    return list(_CONSUMERS.values())


class _Moved(Exception):
    """Another drain advanced the position first: this batch's effects are rolled back."""


def consumer_position(consumer: Consumer) -> ConsumerPosition:
    """The consumer's stored position, created where it starts (``from_now``: after the
    events there already; otherwise before the first) the first time it is asked for."""
    found = ConsumerPosition.objects.filter(name=consumer.name).first()
    if found is not None:
        return found
    start = end_position() if consumer.from_now else Position()
    try:
        with transaction.atomic():
            return ConsumerPosition.objects.create(
                name=consumer.name, tx=start.tx, event_id=start.event_id
            )
    except IntegrityError:  # another drain created it meanwhile
        return ConsumerPosition.objects.get(name=consumer.name)


def consumer_drain_batch(consumer: Consumer) -> int:
    """Handle the next batch of ``consumer``'s events; how many it handled (0: none waiting,
    or another worker holds it, or it waits to be retried)."""
    consumer_position(consumer)
    with transaction.atomic():
        # Waits for another drain's batch: after it, this one sees the events committed since.
        row = ConsumerPosition.objects.select_for_update().filter(name=consumer.name).first()
        if row is None or (row.retry_at is not None and row.retry_at > timezone.now()):
            return 0
        start = Position(row.tx, row.event_id)
        # Every kind is read, the consumer's handed on: its position passes the others too.
        events = events_after(start, limit=consumer.batch)
        if not events:
            return 0
        kinds = consumer.kinds
        mine = events if kinds is None else [e for e in events if e.kind in kinds]
        if mine:
            consumer.handle(mine)
        end = Position.of(events[-1])
        moved = ConsumerPosition.objects.filter(
            pk=row.pk, tx=start.tx, event_id=start.event_id
        ).update(
            tx=end.tx,
            event_id=end.event_id,
            handled=row.handled + len(events),
            failures=0,
            error="",
            retry_at=None,
            updated_at=timezone.now(),
        )
        if not moved:
            raise _Moved
    return len(events)


def _failed(consumer: Consumer, error: Exception) -> None:
    row = ConsumerPosition.objects.get(name=consumer.name)
    pause = min(timedelta(seconds=2 ** min(row.failures + 1, 20)), MAX_PAUSE)
    ConsumerPosition.objects.filter(pk=row.pk).update(
        failures=row.failures + 1,
        error=f"{type(error).__name__}: {error}"[:2000],
        retry_at=timezone.now() + pause,
    )


def consumer_drain(consumer: Consumer, *, max_batches: int = 1000) -> int:
    """Handle ``consumer``'s waiting events, batch after batch; how many it handled."""
    handled = 0
    for _ in range(max_batches):
        try:
            done = consumer_drain_batch(consumer)
        except _Moved:
            continue
        except Exception as error:  # the position stays; the batch is retried after a pause
            logger.exception("event consumer %s failed", consumer.name)
            _failed(consumer, error)
            return handled
        if not done:
            return handled
        handled += done
    return handled


def consumers_drain() -> dict[str, int]:
    """Every consumer's waiting events, in the order they registered."""
    return {consumer.name: consumer_drain(consumer) for consumer in consumers()}


SETTLE_SECONDS = 5.0
"""How long a drain after a commit waits for the events held back by other transactions."""


def consumers_drain_settled() -> None:
    """Drain after a writer's commit (``EVENTS_DELIVERY = "on_commit"``, no worker): until no
    committed event waits behind another transaction still running. Without the worker's
    polling, events held back when this drain read (a concurrent drain's transaction, begun
    before a writer's, keeps the horizon below the writer's events) would wait for the next
    write; the running transactions are other drains and writers that end within moments,
    and a long one (an import batch) is waited for ``SETTLE_SECONDS`` at most."""
    deadline = time.monotonic() + SETTLE_SECONDS
    pause = 0.01
    while True:
        # Asked before the drain: if nothing was held back then, the drain reads every event
        # committed so far. Asked after it, a transaction ending in between would go unseen.
        held_back = events_held_back()
        consumers_drain()
        if not held_back or time.monotonic() > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


_FOLLOWERS: dict[str, Callable[[], int]] = {}


def follower_register(name: str, step: Callable[[], int]) -> None:
    """Other work the worker repeats beside the consumers (webhooks' sender, which talks to
    the network): ``step()`` does what is due and says how much it did. Each follower runs in
    a thread of its own, so a slow one never holds the consumers back."""
    _FOLLOWERS[name] = step


def _follower_loop(
    name: str, step: Callable[[], int], stop: Callable[[], bool], poll: float
) -> None:
    try:
        while not stop():
            try:
                done = step()
            except Exception:
                logger.exception("follower %s failed", name)
                done = 0
            if not done:
                time.sleep(poll)
    finally:
        connection.close()  # this thread's own connection


def consumers_follow(*, stop: Callable[[], bool], poll_seconds: float = 0.5) -> None:
    """Drain the consumers until ``stop()``: the worker's loop, and each registered follower's
    in its own thread. Errors never end them."""
    threads = [
        threading.Thread(
            target=_follower_loop, args=(name, step, stop, poll_seconds), name=name, daemon=True
        )
        for name, step in _FOLLOWERS.items()
    ]
    for thread in threads:
        thread.start()
    while not stop():
        try:
            handled = sum(consumers_drain().values())
        except Exception:  # the database away for a moment: try again
            logger.exception("following the events failed")
            handled = 0
        if not handled:
            time.sleep(poll_seconds)
    for thread in threads:
        thread.join(timeout=2)  # daemons: a send in flight ends with the process
