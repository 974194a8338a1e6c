"""One chunk of a recompute: where each customer's replay starts, the replay, and what to
store (``services.lifecycle_recompute`` runs it over the chunks).

Where a customer's replay starts (``start``, ms):

- in no stage yet (never placed, or a first recompute): the start of their history;
- placed: where they were last evaluated, ``max(entered_at, last_run)``. The last whole-base
  run evaluated everyone up to its clock, and a later move sets ``entered_at``, so nothing
  before that moment needs evaluating again. This is the nightly path: it evaluates only the
  customers with an event or a rule on the clock coming true since, and dates each move when
  it came true;
- their history changed from ``since`` (a back-dated order, an import batch): the earlier of
  that and ``since`` (2 ms earlier: a replay may start anywhere before the change, as long as
  it starts from the stage the customer stood in then);
- placed under another version of the rules (an edit since), or ``from_scratch``: the start
  of their history, so that the effective history is what the active rules say of it.

A customer whose replay starts before their current stage was entered is *rewound*: they
start from the last move of their effective history at or before ``start``. Their stored
moves after ``start`` are compared with the replay's: the moves both agree on stay as they
are; from the first that differs, the stored ones are superseded (kept, with
``superseded_at``) and the replay's are stored. A history that arrives in pieces thus ends
with the effective history of the whole, and the record of what was believed before.

Replays never interleave on a customer: an update after events locks the chunk's customers;
a whole-base run's chunk takes its turn with the follower of the events (its position's row)
and reads its orders again when they changed since the run read them all (for the median),
so an order the follower placed a customer on meanwhile is never undone by an older reading.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from tenure.customers.models import Customer
from tenure.domain.lifecycle import UNSTAGED, LifecycleModel
from tenure.domain.lifecycle.replay import MANUAL_RULE, lifecycle_replay
from tenure.domain.lifecycle.timeline import BEFORE, IntArray, Series, kinds_needed
from tenure.events.bulk import events_write_rows
from tenure.events.consumers import consumer_position
from tenure.events.models import ConsumerPosition
from tenure.events.reading import Position
from tenure.lifecycle.events import stage_event_rows
from tenure.lifecycle.facts import Chunk, fetch_numbers
from tenure.lifecycle.following import STAGES
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.storage import (
    stages_remove,
    stages_upsert,
    transitions_append,
    transitions_supersede,
)
from tenure.lifecycle.timelines import EpochMillis, history_load, millis, orders_unchanged

SLACK_MS = 2
"""How much earlier than ``since`` a replay starts: a moment read back from the database and
one converted in Python may differ by a rounding, and starting earlier changes nothing."""
_KEYS = ["at", "step", "source", "target", "rule"]


@dataclass(frozen=True)
class ChunkOutcome:
    customers: int
    moved: int
    transitions: int
    superseded: int
    checkpoints: int
    counts: Counter[str]
    moves: Counter[str]


@dataclass(frozen=True)
class Plan:
    """What stays the same for every chunk of one recompute."""

    now: datetime
    model: LifecycleModel
    definition_id: int
    cause: str
    median_gap_days: float | None
    since: Mapping[int, datetime]
    last_run: datetime | None
    from_scratch: bool = False
    lock: bool = False
    """Lock the chunk's customers for the whole read-replay-write (updates after events)."""
    orders_read_at: Position | None = None
    """A whole-base run: the events' end when it read every order (before its chunks)."""


def existing_ids(chunk: Chunk) -> IntArray:
    found = fetch_numbers(
        Customer.objects.filter(chunk.where("pk")).order_by("pk").values_list("pk"), 1
    )
    ids = found[:, 0].astype(np.int64)
    return ids[np.isin(ids, chunk.ids)] if chunk.dense else ids


def _stored(chunk: Chunk, ids: IntArray) -> pd.DataFrame:
    rows = list(
        CustomerStage.objects.filter(chunk.where("customer_id"))
        .order_by()
        .values_list("customer_id", "stage", EpochMillis("entered_at"), "definition_id")
    )
    columns = ["customer", "stage", "entered", "definition"]
    frame = pd.DataFrame(rows, columns=columns).set_index("customer")
    return frame.reindex(pd.Index(ids, name="customer"))


def _effective(customers: list[int]) -> pd.DataFrame:
    """The effective history (moves not superseded) of these customers, oldest first."""
    columns = ["customer", "at", "step", "id", "from_stage", "to_stage", "rule", "reason"]
    rows: list[Any] = []
    for start in range(0, len(customers), 5000):
        rows += StageTransition.objects.filter(
            customer_id__in=customers[start : start + 5000], superseded_at__isnull=True
        ).values_list(
            "customer_id", EpochMillis("effective_at"), "step", "id", "from_stage", "to_stage",
            "rule", "reason",
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["customer", "at", "step", "id"], kind="stable", ignore_index=True)


def _codes(history: pd.DataFrame, model: LifecycleModel) -> pd.DataFrame:
    """The stored moves' stages and rules as the replay's codes (-1: no stage; -2: a stage or
    rule the active definition does not have, which no replayed move equals)."""
    stages = {key: code for code, key in enumerate(model.stage_keys)} | {"": -1}
    rules = {name: code for code, name in enumerate(_rule_names(model))}
    return history.assign(
        source=[stages.get(key, -2) for key in history["from_stage"].tolist()],
        target=[stages.get(key, -2) for key in history["to_stage"].tolist()],
        rule=[rules.get(name, -2) for name in history["rule"].tolist()],
    )


def _starts(plan: Plan, ids: IntArray, stored: pd.DataFrame) -> tuple[IntArray, np.ndarray]:
    """Where each customer's replay starts (ms), and who is rewound (placed after it)."""
    now = millis(plan.now)
    entered = stored["entered"].to_numpy(dtype=np.float64)
    placed = ~np.isnan(entered)
    start = np.full(ids.size, BEFORE, dtype=np.int64)
    floor = BEFORE if plan.last_run is None else millis(plan.last_run)
    start[placed] = np.maximum(np.nan_to_num(entered[placed]).astype(np.int64), floor)
    if plan.since:
        changed = np.array([plan.since.get(i) for i in ids.tolist()], dtype=object)
        dated = np.flatnonzero(pd.notna(changed))
        moments = np.array([millis(changed[n]) - SLACK_MS for n in dated], dtype=np.int64)
        start[dated] = np.minimum(start[dated], moments)
    # Placed under another version of the rules: the active one replays their whole history.
    current = stored["definition"].to_numpy(dtype=np.float64) == plan.definition_id
    if plan.from_scratch:
        start[:] = BEFORE
    start[placed & ~current] = BEFORE
    start = np.minimum(start, now)
    rewound = placed & (start < np.nan_to_num(entered, nan=0).astype(np.int64))
    return start, rewound


def chunk_replay(plan: Plan, chunk: Chunk, orders: Series | None = None) -> ChunkOutcome:
    if not plan.lock:
        with transaction.atomic():
            # A whole-base run takes turns with the follower (``following.STAGES``), whose
            # batch holds its position's row: neither stores over what the other just read,
            # and the orders read before the run are checked under the turn.
            # Its own row, not the customers': locking a million rows cost 2.6 s.
            prepared = prepare(plan, chunk, orders_checked(plan, chunk, orders, turn_take()))
            commit_without_waiting()
            store(plan, prepared)
            return prepared.outcome
    with transaction.atomic():
        # Two writers' commits can replay the same customers at once; each must read the
        # stages and moves the other stored, or a move is stored twice and a stage lost. The
        # rows are locked in id order, as the order writers lock them, so none deadlocks.
        locked = Customer.objects.select_for_update().filter(pk__in=chunk.ids.tolist())
        list(locked.order_by("pk").values_list("pk", flat=True))
        prepared = prepare(plan, chunk, orders)
        store(plan, prepared)
        return prepared.outcome


def turn_take(*, shared: bool = False) -> Position:
    """Wait for the follower's batch to end and hold its turn (its position's row, locked
    until this transaction ends); where it got to. ``shared``: with other whole-base chunks
    stored at the same time (PostgreSQL's ``FOR SHARE``: they touch other customers), never
    with the follower, whose batch locks the row ``FOR UPDATE``."""
    consumer_position(STAGES)
    if shared and connection.vendor == "postgresql":
        table = connection.ops.quote_name(ConsumerPosition._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT tx, event_id FROM {table} WHERE name = %s FOR SHARE",  # noqa: S608
                [STAGES.name],
            )
            tx, event_id = cursor.fetchone()
        return Position(int(tx), int(event_id))
    turn = ConsumerPosition.objects.select_for_update().filter(name=STAGES.name)
    tx, event_id = turn.values_list("tx", "event_id").get()
    return Position(tx, event_id)


def turn_seen() -> Position:
    """Where the follower got to, as committed now (no lock)."""
    consumer_position(STAGES)
    tx, event_id = (
        ConsumerPosition.objects.filter(name=STAGES.name).values_list("tx", "event_id").get()
    )
    return Position(tx, event_id)


def orders_checked(
    plan: Plan, chunk: Chunk, orders: Series | None, follower: Position
) -> Series | None:
    """The orders the run read, or None (read them again) when the follower, now at
    ``follower``, handled events since the read and the chunk's orders changed: it placed
    customers on orders the read may lack (those it has not handled yet it replays after)."""
    read_at = plan.orders_read_at
    if orders is None or read_at is None or not follower > read_at:
        return orders
    return orders if orders_unchanged(chunk, chunk.ids, plan.now, orders) else None


def commit_without_waiting() -> None:
    """A whole-base chunk commits without waiting for its write-ahead log to reach the disk
    (PostgreSQL's asynchronous commit, this transaction only): a first recompute writes
    hundreds of megabytes of moves, and waiting for each chunk's flush was 6 % of its time.
    A crash may lose the last chunks, never half of one; the run is then not done, and the
    run marked done afterwards (a synchronous commit) makes everything before it durable."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass(frozen=True)
class Prepared:
    """A chunk replayed, not stored yet: what it writes and what it reports."""

    ids: IntArray
    fresh: pd.DataFrame
    superseded: list[int]
    stages: pd.DataFrame
    final: np.ndarray
    before: np.ndarray
    entered: np.ndarray
    rewound: np.ndarray
    outcome: ChunkOutcome


def stages_fingerprint(chunk: Chunk) -> tuple[int, int, int]:
    """The count, the entry moments' sum and the rules' versions' sum of the chunk's stored
    stages: any move stored since changes the moment it entered (or the count)."""
    found = CustomerStage.objects.filter(chunk.where("customer_id")).aggregate(
        n=Count("pk"), moments=Sum(EpochMillis("entered_at")), versions=Sum("definition_id")
    )
    return int(found["n"]), int(found["moments"] or 0), int(found["versions"] or 0)


def prepare(plan: Plan, chunk: Chunk, orders: Series | None) -> Prepared:
    """Read the chunk's customers and replay them: what ``store`` then writes."""
    model = plan.model
    ids = existing_ids(chunk)
    if orders is not None and not np.array_equal(ids, chunk.ids):
        orders = None  # customers came or went since the orders were read: read them again
    stored = _stored(chunk, ids)
    start, rewound = _starts(plan, ids, stored)
    stage = stored["stage"].to_numpy(dtype=object).copy()
    entered = stored["entered"].to_numpy(dtype=np.float64).copy()
    history = _effective(ids[rewound].tolist()) if rewound.any() else _effective([])
    history = _codes(history, model)
    at_start, later = _rewind(history, ids, start, rewound, model)
    lost = rewound & ~at_start["known"]
    start[lost] = BEFORE  # stood in a stage the definition no longer has: from the beginning
    if lost.any():
        at_start, later = _rewind(history, ids, start, rewound, model)
    stage[rewound] = at_start["stage"][rewound]
    entered[rewound] = at_start["entered"][rewound]
    loaded = history_load(
        chunk=chunk, ids=ids, now=plan.now, kinds=kinds_needed(model.facts_used),
        needed=model.facts_used, median_gap_days=plan.median_gap_days, orders=orders,
        model_known_from=plan.last_run,
        fact_kinds={name: fact.kind for name, fact in model.facts.items()},
        stage_keys=model.stage_keys,
    )  # fmt: skip
    codes = model.stage_codes(np.array(_plain(stage), dtype=object))
    replay = lifecycle_replay(
        model, loaded, stage=codes, entered=entered, start=start, now=millis(plan.now)
    )
    moves = replay.moves
    moves["customer"] = ids[moves["customer"].to_numpy(dtype=np.int64)]
    fresh, superseded = _reconcile(moves, later)
    final = model.stage_keys_of(replay.stage)
    before = stored["stage"].to_numpy(dtype=object)
    stages = _stage_rows(
        ids, final, replay.entered, stored, moves, at_start, plan.definition_id, model
    )
    counts = Counter(UNSTAGED if key is None else key for key in final.tolist())
    moved = int(sum(a != b for a, b in zip(final.tolist(), _plain(before), strict=True)))
    names = _rule_names(model)
    by_rule = np.bincount(fresh["rule"].to_numpy(dtype=np.int64), minlength=len(names))
    outcome = ChunkOutcome(
        len(ids), moved, len(fresh), len(superseded), replay.checkpoints, counts,
        Counter({name: int(n) for name, n in zip(names, by_rule, strict=True) if n}),
    )  # fmt: skip
    return Prepared(ids, fresh, superseded, stages, final, before, replay.entered, rewound, outcome)


def store(plan: Plan, prepared: Prepared) -> None:
    """Write a prepared chunk: moves superseded and appended, stages, stage events."""
    model, ids = plan.model, prepared.ids
    with transaction.atomic():
        if prepared.superseded:
            transitions_supersede(prepared.superseded, at=plan.now)
        if not prepared.fresh.empty:
            transitions_append(
                prepared.fresh, stage_keys=model.stage_keys, rule_names=_rule_names(model),
                recorded_at=plan.now, definition_id=plan.definition_id, cause=plan.cause,
            )  # fmt: skip
        _stages_store(prepared.stages, ids, prepared.final, prepared.before, plan.definition_id)
        events_write_rows(
            stage_event_rows(
                ids=ids, before=_plain(prepared.before), after=_plain(prepared.final),
                entered_ms=prepared.entered, corrected=prepared.rewound, model=model,
                now=plan.now,
            )
        )  # fmt: skip


def _rule_names(model: LifecycleModel) -> tuple[str, ...]:
    """The rules' names by code, a move by hand's last (``len(model.rules)``)."""
    return (*model.rule_names, MANUAL_RULE)


def _plain(keys: np.ndarray) -> list[str | None]:
    """Stage keys with every kind of missing (None, NaN) as None."""
    out = np.asarray(keys, dtype=object).copy()
    out[pd.isna(out)] = None
    return list(out.tolist())


def _rewind(
    history: pd.DataFrame, ids: IntArray, start: IntArray, rewound: np.ndarray,
    model: LifecycleModel,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:  # fmt: skip
    """Each rewound customer's stage at their ``start`` (the last effective move at or before
    it: stage, entered, rule, reason; none before their first move) and their stored moves
    after it."""
    n = ids.size
    out: dict[str, np.ndarray] = {
        "stage": np.full(n, None, dtype=object), "entered": np.full(n, np.nan),
        "rule": np.full(n, "", dtype=object), "reason": np.full(n, "", dtype=object),
        "known": np.ones(n, dtype=bool),
    }  # fmt: skip
    if history.empty:
        return out, history
    position = np.searchsorted(ids, history["customer"].to_numpy(dtype=np.int64))
    cut = start[position]
    upto = history["at"].to_numpy(dtype=np.int64) <= cut
    last = history[upto].drop_duplicates("customer", keep="last")
    where = np.searchsorted(ids, last["customer"].to_numpy(dtype=np.int64))
    out["stage"][where] = last["to_stage"].to_numpy(dtype=object)
    out["entered"][where] = last["at"].to_numpy(dtype=np.float64)
    out["rule"][where] = last["rule"].to_numpy(dtype=object)
    out["reason"][where] = last["reason"].to_numpy(dtype=object)
    out["known"] = np.array(
        [key is None or key in model.stage_keys for key in out["stage"].tolist()], dtype=bool
    )
    return out, history[~upto]


def _reconcile(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """The replay's moves to store and the stored moves to supersede: per customer, the moves
    both lists agree on (same moment, step, stages and rule, in order) stay; from the first
    difference on, the old are superseded and the new stored."""
    if old.empty:
        return new, []
    touched = new["customer"].isin(old["customer"].unique()).to_numpy()
    mine, others = new[touched], new[~touched]
    mine = mine.assign(k=mine.groupby("customer").cumcount())
    old = old.assign(k=old.groupby("customer").cumcount())
    both = mine[["customer", "k", *_KEYS]].merge(
        old[["customer", "k", *_KEYS]], on=["customer", "k"], how="outer", suffixes=("", "_old")
    )
    same = np.ones(len(both), dtype=bool)
    for key in _KEYS:  # a move on one side only compares NaN: different
        same &= (both[key] == both[f"{key}_old"]).to_numpy()
    differs = both.loc[~same, ["customer", "k"]].groupby("customer")["k"].min()
    first = mine["customer"].map(differs).fillna(np.inf).to_numpy()
    fresh = pd.concat([others, mine[mine["k"].to_numpy() >= first].drop(columns="k")])
    cut = old["customer"].map(differs).fillna(np.inf).to_numpy()
    superseded = old.loc[old["k"].to_numpy() >= cut, "id"].astype(np.int64).tolist()
    return fresh.sort_values(["customer", "at", "step"], kind="stable"), superseded


def _stage_rows(
    ids: IntArray, final: np.ndarray, entered: np.ndarray, stored: pd.DataFrame,
    moves: pd.DataFrame, at_start: dict[str, np.ndarray], definition_id: int,
    model: LifecycleModel,
) -> pd.DataFrame:  # fmt: skip
    """The stage rows that change: customers whose stage, entry moment or rules' version is
    not the stored one, with the rule and reason of the move that put them there."""
    before = stored["stage"].to_numpy(dtype=object)
    was = stored["entered"].to_numpy(dtype=np.float64)
    changed = np.array(
        [a != b for a, b in zip(final.tolist(), _plain(before), strict=True)], dtype=bool
    ) | ~((entered == was) | (np.isnan(entered) & np.isnan(was)))
    changed |= ~np.isnan(was) & (stored["definition"].to_numpy(np.float64) != definition_id)
    rule, reason = at_start["rule"].copy(), at_start["reason"].copy()
    if not moves.empty:
        customers = moves["customer"].to_numpy(dtype=np.int64)
        last = np.flatnonzero(np.r_[customers[1:] != customers[:-1], True])
        where = np.searchsorted(ids, customers[last])
        names = np.array(list(_rule_names(model)), dtype=object)
        rule[where] = names[moves["rule"].to_numpy()[last]]
        reason[where] = moves["reason"].to_numpy(dtype=object)[last]
    pick = np.flatnonzero(changed)
    texts = {"stage": final[pick], "rule": rule[pick], "reason": reason[pick]}
    return pd.DataFrame(
        {"customer": ids[pick], "entered": entered[pick]}
        | {name: pd.Series(values, dtype=object) for name, values in texts.items()}
    )


def _stages_store(
    rows: pd.DataFrame, ids: IntArray, final: np.ndarray, before: np.ndarray, definition_id: int
) -> None:
    if rows.empty:
        return
    gone = rows["stage"].isna().to_numpy()
    if gone.any():
        stages_remove(rows.loc[gone, "customer"].tolist())
    rows = rows[~gone]
    if rows.empty:
        return
    rows = rows.assign(entered=rows["entered"].astype(np.int64))
    new = pd.isna(before[np.searchsorted(ids, rows["customer"].to_numpy(dtype=np.int64))])
    try:
        with transaction.atomic():
            stages_upsert(rows, definition_id=definition_id, new=new)
    except IntegrityError:  # an event placed one of them meanwhile: upsert them all
        stages_upsert(rows, definition_id=definition_id, new=None)
