"""A whole-base recompute on PostgreSQL, chunk after chunk, replaying the next chunk while the
previous one is stored.

A chunk's time splits into Python (its reads decoded, the replay, the rows formatted) and
PostgreSQL (``COPY`` of its moves, the stages' upsert, the events' insert, the index upkeep):
at 200,000 customers about 9 s and 12 s. Done one after the other they add up; here a thread
with its own connection stores chunk k while this one reads and replays chunk k + 1, so on two
cores the run takes about the longer of the two.

What the sequential path gets from replaying under the turn (``replaying.chunk_replay``), the
pipelined one gets by checking when it stores: under the turn, if the follower handled events
since the chunk was read, or the chunk's stored stages changed (a move by hand, an import's
batch: writers that lock customers, not the turn), the chunk is read and replayed again under
the turn before it is stored. A chunk is never stored over what it did not read.

Used outside a transaction only (the worker, the CLI, the benchmark): the second connection
sees only what is committed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction

from tenure.events.reading import Position
from tenure.lifecycle.facts import Chunk
from tenure.lifecycle.replaying import (
    ChunkOutcome,
    Plan,
    Prepared,
    commit_without_waiting,
    orders_checked,
    prepare,
    stages_fingerprint,
    store,
    turn_seen,
    turn_take,
)
from tenure.lifecycle.timelines import Series

Report = Callable[[ChunkOutcome], None]


@dataclass(frozen=True)
class _Read:
    """A chunk prepared outside the turn, with what it saw: the follower's position and the
    fingerprint of the chunk's stored stages, both taken before its reads."""

    chunk: Chunk
    orders: Series | None
    follower: Position
    stages: tuple[int, int, int]
    prepared: Prepared


def pipelined(chunks: int) -> bool:
    """Whether a whole-base run of ``chunks`` chunks stores on a second connection: on
    PostgreSQL, with something to overlap, and outside a transaction (the other connection
    would not see its uncommitted rows)."""
    return connection.vendor == "postgresql" and chunks > 1 and not connection.in_atomic_block


def chunks_replay(
    plan: Plan, parts: Sequence[Chunk], orders: Sequence[Series | None], report: Report
) -> None:
    """Replay and store every chunk of a whole-base run (where ``pipelined`` says so),
    ``report`` each chunk's outcome in order as it is stored."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenure-recompute") as writer:
        pending: Future[ChunkOutcome] | None = None
        try:
            for part, series in zip(parts, orders, strict=True):
                read = _read(plan, part, series)
                if pending is not None:
                    report(pending.result())
                # The context carries who acts (``events.record.acting_via``) to the events.
                context = contextvars.copy_context()
                pending = writer.submit(context.run, _store_in_turn, plan, read)
            if pending is not None:
                report(pending.result())
        finally:
            writer.submit(_close).result()


def _read(plan: Plan, part: Chunk, orders: Series | None) -> _Read:
    follower, stages = turn_seen(), stages_fingerprint(part)
    checked = orders_checked(plan, part, orders, follower)
    return _Read(part, orders, follower, stages, prepare(plan, part, checked))


def _store_in_turn(plan: Plan, read: _Read) -> ChunkOutcome:
    """On the writer's connection: take the turn, replay again if anything the chunk read
    changed since, and store."""
    with transaction.atomic():
        follower = turn_take()
        prepared = read.prepared
        if follower != read.follower or stages_fingerprint(read.chunk) != read.stages:
            checked = orders_checked(plan, read.chunk, read.orders, follower)
            prepared = prepare(plan, read.chunk, checked)
        commit_without_waiting()
        store(plan, prepared)
        return prepared.outcome


def _close() -> None:
    """The writer thread's own connection, closed in that thread when the run ends."""
    connection.close()
