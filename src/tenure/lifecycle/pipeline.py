"""A whole-base recompute on PostgreSQL, chunk after chunk, replaying the next chunk while the
previous ones are stored.

A chunk's time splits into Python (its reads decoded, the replay, the rows formatted) and
PostgreSQL (``COPY`` of its moves, the stages' upsert, the events' insert, the index upkeep):
per 100,000 customers about 2 s and 5.3 s. Done one after the other they add up; here two
threads, each with its own connection, store chunks k - 1 and k while this one reads and
replays chunk k + 1, so PostgreSQL works on both cores while Python replays.

What the sequential path gets from replaying under the turn (``replaying.chunk_replay``), the
pipelined one gets by checking when it stores: under the turn (shared by the writers, whose
chunks are other customers; never with the follower), if the follower handled events since
the chunk was read, or the chunk's stored stages changed (a move by hand, an import's batch:
writers that lock customers, not the turn), the chunk is read and replayed again under the
turn before it is stored. A chunk is never stored over what it did not read.

Used outside a transaction only (the worker, the CLI, the benchmark): the writers' connections
see only what is committed.
"""

from __future__ import annotations

import contextvars
from collections import deque
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
WRITERS = 2
"""Chunks stored at once, each on its own connection: storing is the longer part (5.3 s of
7.3 s a chunk of 100,000 customers), and two PostgreSQL backends use both cores."""


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
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="tenure-recompute") as pool:
        pending: deque[Future[ChunkOutcome]] = deque()
        for part, series in zip(parts, orders, strict=True):
            read = _read(plan, part, series)
            while len(pending) >= WRITERS:
                report(pending.popleft().result())
            # The context carries who acts (``events.record.acting_via``) to the events.
            context = contextvars.copy_context()
            pending.append(pool.submit(context.run, _store_in_turn, plan, read))
        while pending:
            report(pending.popleft().result())


def _read(plan: Plan, part: Chunk, orders: Series | None) -> _Read:
    follower, stages = turn_seen(), stages_fingerprint(part)
    checked = orders_checked(plan, part, orders, follower)
    return _Read(part, orders, follower, stages, prepare(plan, part, checked))


def _store_in_turn(plan: Plan, read: _Read) -> ChunkOutcome:
    """On a writer's own connection (closed after: a thread's connection is its own): take
    the turn, shared with the other writer, replay again if anything the chunk read changed
    since, and store."""
    try:
        with transaction.atomic():
            follower = turn_take(shared=True)
            prepared = read.prepared
            if follower != read.follower or stages_fingerprint(read.chunk) != read.stages:
                checked = orders_checked(plan, read.chunk, read.orders, follower)
                prepared = prepare(plan, read.chunk, checked)
            commit_without_waiting()
            store(plan, prepared)
            return prepared.outcome
    finally:
        connection.close()
