"""Replay: the stage history customers would have had, dated when each move happened.

Pure: no Django. :func:`lifecycle_replay` walks each customer from a starting stage and moment
to ``now`` and runs :func:`~tenure.domain.lifecycle.lifecycle_evaluate` at every moment their
stage could change:

- **when something happened**: an order, a subscription started or cancelled, a case opened or
  resolved, a conversation, a survey answer, a referral, the customer's record beginning, the
  model fit's observation end (``History.next_event``);
- **when a rule reading the clock comes true** between two events. A fact that grows by one a
  day (:data:`~tenure.domain.lifecycle.facts.GROWING`) makes every comparison a linear
  inequality in time, ``days_since_last_order >= 3 x typical_gap_days`` comes true at
  ``last order + 3 x gap``: the moment is solved in closed form for every comparison the rules
  of the customer's stage read, and the earliest moment one of them flips is a checkpoint (the
  engine then says whether the customer moves; a comparison flips at most once between two
  events, so this ends). ``days_in_stage`` starts again at each move.

Timeless facts (a customer's channel, an imported attribute: the rule facts beyond the
built-in :data:`~tenure.domain.lifecycle.facts.FACTS`) have no history: every
checkpoint reads their value as it is now (``History.timeless``), so a whole history replayed
today judges every past moment by today's channel. Because editing one is no event of the
timeline, a model that reads them also evaluates at ``now`` every customer replayed from a
later start than their whole history (a move it makes then is dated ``now``: when tenure
noticed it).

Moves made at a checkpoint are dated then (``at``, ms) and numbered ``step`` as in one
evaluation. Round k evaluates every customer's k-th checkpoint at once (vectorised over the
customers), so the work is the number of checkpoints, not customers x days.

A move made by hand (``History.manual``) is an event of the customer's history like an order:
at its moment the customer is put in its stage and the rules are not tried then, so the move
holds until something next happens to them (an event, or a rule of the new stage on the clock
coming true after the move: ``days_in_stage`` starts again). It is stored as a move by the rule
:data:`MANUAL_RULE` (code ``len(model.rules)``), with the words it was made with.

Whatever order a history arrives in, replaying it gives the same moves at the same moments:
the live path (an event replays its customer from the moment it changed), the nightly run
(from where each customer was last evaluated) and a whole import replayed at once all run
this one function.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.domain.lifecycle.engine import compare_holds, lifecycle_evaluate
from tenure.domain.lifecycle.facts import FACTS, GROWING, STAGE_CLOCK
from tenure.domain.lifecycle.model import AllOf, AnyOf, Compare, Condition, LifecycleModel, Not
from tenure.domain.lifecycle.reasons import reason_texts
from tenure.domain.lifecycle.timeline import (
    BEFORE,
    DAY_MS,
    NEVER,
    FloatArray,
    History,
    IntArray,
    MomentFacts,
    facts_at,
    kinds_needed,
)

BoolArray = npt.NDArray[np.bool_]
MANUAL_RULE = "by-hand"
"""The rule name of a move made by hand (not an identifier: no rule of a definition has it)."""
_PROBES = 4
"""Milliseconds tried around a solved crossing: the engine's own arithmetic decides the first
moment a comparison has flipped (the solved root can be off by a rounding)."""


@dataclass(frozen=True, eq=False)
class _Clock:
    """A comparison that reads a growing fact, and the stages whose rules read it (by stage
    code + 1: column 0 is "in no stage")."""

    node: Compare
    stages: BoolArray


def _compares(node: Condition) -> Iterator[Compare]:
    if isinstance(node, AllOf | AnyOf):
        for item in node.items:
            yield from _compares(item)
    elif isinstance(node, Not):
        yield from _compares(node.item)
    elif isinstance(node, Compare):
        yield node


def _clocks(model: LifecycleModel) -> list[_Clock]:
    found: dict[int, tuple[Compare, set[int]]] = {}
    for rule in model.rules:
        for node in _compares(rule.when):
            if node.fact in GROWING or node.other in GROWING:
                found.setdefault(id(node), (node, set()))[1].update(rule.sources)
    clocks = []
    for node, sources in found.values():
        stages = np.zeros(len(model.stages) + 1, dtype=bool)
        stages[[code + 1 for code in sources]] = True
        clocks.append(_Clock(node, stages))
    return clocks


def _value(name: str, facts: MomentFacts, rows: IntArray, moments: FloatArray) -> np.ndarray:
    if name in GROWING:
        return (moments - facts.refs[name][rows]) / DAY_MS
    return facts.columns[name][rows]


def _holds(node: Compare, facts: MomentFacts, rows: IntArray, moments: FloatArray) -> BoolArray:
    columns = {node.fact: _value(node.fact, facts, rows, moments)}
    if node.other is not None:
        columns[node.other] = _value(node.other, facts, rows, moments)
    return compare_holds(node, columns)


def _next_crossing(
    clocks: list[_Clock], facts: MomentFacts, rows: IntArray, stage: IntArray, since: IntArray
) -> IntArray:
    """The first moment after ``since`` at which a comparison read by the rules of each
    customer's stage flips, with the facts constant but the clocks running (``NEVER``: none).
    ``facts`` hold the customers' facts right after ``since`` at ``rows``."""
    out = np.full(rows.size, NEVER, dtype=np.int64)
    for clock in clocks:
        node = clock.node
        slope = float(node.fact in GROWING)
        if node.other is not None:
            slope -= node.times * float(node.other in GROWING)
        if slope == 0.0:  # both sides grow alike (or neither): the truth holds till an event
            continue
        mine = np.flatnonzero(clock.stages[stage + 1])
        if mine.size == 0:
            continue
        who, moment = rows[mine], since[mine].astype(np.float64)
        left = _value(node.fact, facts, who, moment)
        if node.other is None:
            right = np.asarray(node.value, dtype=np.float64)
        else:
            right = _value(node.other, facts, who, moment) * node.times + node.plus
        with np.errstate(invalid="ignore", over="ignore"):
            root = moment - (left - right) * DAY_MS / slope
        solvable = np.isfinite(root) & (root > moment - _PROBES) & (root < float(NEVER))
        if not solvable.any():
            continue
        mine, who, moment, root = mine[solvable], who[solvable], moment[solvable], root[solvable]
        before = _holds(node, facts, who, moment)
        first = np.maximum(since[mine] + 1, np.floor(root).astype(np.int64) - 1)
        found = np.full(mine.size, NEVER, dtype=np.int64)
        for probe in range(_PROBES):
            candidate = first + probe
            flipped = (_holds(node, facts, who, candidate.astype(np.float64)) != before) & (
                found == NEVER
            )
            found[flipped] = candidate[flipped]
        out[mine] = np.minimum(out[mine], found)
    return out


def _moved_by_hand(history: History, positions: IntArray, moments: IntArray) -> IntArray:
    """For each customer, the index of their move by hand made exactly at their moment (the
    last of several), else -1."""
    last, count = history.index("manual").last(positions, moments)
    times = history.manual.time
    at = np.where(last >= 0, times[np.maximum(last, 0)], NEVER)
    return np.where((count > 0) & (at == moments), last, -1)


@dataclass(frozen=True)
class Replay:
    """What :func:`lifecycle_replay` found.

    ``moves``: one row per move, oldest first per customer: ``customer`` (position), ``at``
    (ms), ``step``, ``source`` and ``target`` (stage codes, -1: no stage), ``rule`` (rule
    code) and, when asked, ``reason`` (in the words of the facts at that moment; object
    dtype). Codes keep a million moves out of Python strings until they are stored
    (``model.stage_keys_of``, ``model.rule_names``). ``stage``: each customer's stage code at
    ``now`` (-1: none); ``entered``: when they entered it (ms, NaN: no stage);
    ``checkpoints``: how many evaluations it took (for the benchmark's account of time).
    """

    moves: pd.DataFrame
    stage: IntArray
    entered: FloatArray
    checkpoints: int


_COLUMNS = ("customer", "at", "step", "source", "target", "rule")


def lifecycle_replay(
    model: LifecycleModel,
    history: History,
    *,
    stage: IntArray,
    entered: FloatArray,
    start: IntArray,
    now: int,
    reasons: bool = True,
) -> Replay:
    """Replay every customer of ``history`` from ``start`` (ms; ``BEFORE``: their whole
    history), where they stood in ``stage`` (codes, -1: none) since ``entered`` (ms, NaN), to
    ``now`` (ms). Events at or before ``start`` count as known; the first checkpoint is after
    it. See the module docstring."""
    n = history.customers
    needed = frozenset(model.facts_used)
    # Timeless facts may have changed since a customer was last evaluated: look at now too
    # (a replay of the whole history reads today's values at every checkpoint already).
    recheck = bool(needed - set(FACTS)) & (np.asarray(start, dtype=np.int64) > BEFORE)
    kinds = kinds_needed(needed)
    by_hand = history.manual.time.size > 0
    if by_hand:
        kinds = (*kinds, "manual")
    clocks = _clocks(model)
    stage = np.asarray(stage, dtype=np.int64).copy()
    entered = np.asarray(entered, dtype=np.float64).copy()
    since = np.minimum(np.asarray(start, dtype=np.int64), now)
    everyone = np.arange(n, dtype=np.int64)
    state = facts_at(history, everyone, since, entered, needed)
    found: dict[str, list[np.ndarray]] = {name: [] for name in _COLUMNS}
    texts: list[str] = []
    active, checkpoints = everyone, 0
    while active.size:
        upcoming = np.minimum(
            history.next_event(active, since[active], kinds),
            _next_crossing(clocks, state, active, stage[active], since[active]),
        )
        if recheck.any():
            late = recheck[active] & (upcoming > now) & (since[active] < now)
            upcoming = np.where(late, now, upcoming)
        due = upcoming <= now
        active, moment = active[due], upcoming[due]
        if active.size == 0:
            break
        checkpoints += active.size
        ruled = None  # the customers the rules are tried for: all but those moved by hand now
        if by_hand:
            hand = _moved_by_hand(history, active, moment)
            put = np.flatnonzero(hand >= 0)
            target = history.manual.value[hand[put]].astype(np.int64)  # type: ignore[index]
            change = target != stage[active[put]]
            put, target = put[change], target[change]
            for name, values in zip(
                _COLUMNS,
                (active[put], moment[put], np.zeros(put.size), stage[active[put]], target,
                 np.full(put.size, len(model.rules))),
                strict=True,
            ):  # fmt: skip
                found[name].append(np.asarray(values, dtype=np.int64))
            if reasons:
                texts += [history.manual_reasons[i] for i in hand[put].tolist()]
            stage[active[put]] = target
            entered[active[put]] = moment[put].astype(np.float64)
            ruled = np.flatnonzero(hand < 0)
        facts = facts_at(history, active, moment, entered[active], needed)
        tried = active if ruled is None else active[ruled]
        columns = (
            facts.columns
            if ruled is None
            else {name: values[ruled] for name, values in facts.columns.items()}
        )
        evaluation = lifecycle_evaluate(model, columns, stage[tried])
        for number, step in enumerate(evaluation.steps):
            local = step.positions
            for name, values in zip(
                _COLUMNS,
                (tried[local], moment[local if ruled is None else ruled[local]],
                 np.full(local.size, number), step.source, step.target, step.rule),
                strict=True,
            ):  # fmt: skip
                found[name].append(np.asarray(values, dtype=np.int64))
            if reasons:
                texts += reason_texts(
                    model, evaluation.facts, local, step.source, step.target, step.rule,
                    number > 0,
                )  # fmt: skip
        moved = evaluation.rule >= 0
        if moved.any():
            stage[tried] = evaluation.stage
            entered[tried[moved]] = (moment if ruled is None else moment[ruled])[moved]
        for name, values in facts.columns.items():
            state.columns[name][active] = values
        for name, values in facts.refs.items():
            state.refs[name][active] = values
        state.refs[STAGE_CLOCK][active] = entered[active]
        since[active] = moment
    columns = {
        name: np.concatenate(parts) if parts else np.empty(0, np.int64)
        for name, parts in found.items()
    }
    order = np.lexsort((columns["step"], columns["at"], columns["customer"]))
    moves = pd.DataFrame({name: values[order] for name, values in columns.items()})
    if reasons:
        moves["reason"] = pd.Series(np.array(texts, dtype=object)[order], dtype=object)
    return Replay(moves, stage, entered, checkpoints)
