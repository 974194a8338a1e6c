"""The lifecycle engine: one vectorised function from (facts, current stage) to the new stage.

Semantics (the same for one customer or a million, so bulk recompute and incremental update
agree by construction):

1. For each customer, the rules are tried in order; the first rule whose ``from`` holds the
   customer's stage and whose ``when`` holds *matches*.
2. If it leads to another stage, the customer moves there and step 1 runs again from the new
   stage, with ``days_in_stage`` = 0 (the customer entered it now; every other fact is
   unchanged). If it leads to the stage the customer is in, it holds them there.
3. The customer stops when no rule matches or a rule holds them: a fixed point. The result
   depends only on the facts and the stage at the start.

After the first move, the state is the stage alone (the facts are fixed and ``days_in_stage``
is 0), so a customer who moves more times than there are stages must be going round a cycle;
the engine raises :class:`LifecycleCycleError` naming it. :func:`definition_validate` runs the
engine on synthetic facts built from the rules' own thresholds to refuse such rules before they
are stored.

Vectorised with boolean masks over the customers: one pass per rule on the first step, and
later steps only over the (usually few) customers who moved. A category fact is an object
column of trimmed text (None: missing); ``is`` / ``in`` test membership by hashing (pandas'
``isin``), and a missing value matches neither ``is``/``in`` nor ``is_not``/``not_in``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.errors import InvalidInputError
from tenure.domain.lifecycle.facts import FACTS, STAGE_CLOCK, Fact
from tenure.domain.lifecycle.model import (
    UNSTAGED_CODE,
    AllOf,
    AnyOf,
    Category,
    Compare,
    Condition,
    LifecycleModel,
    Not,
    Presence,
)
from tenure.domain.lifecycle.reasons import reason_texts

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FactColumns = Mapping[str, np.ndarray]
Facts: TypeAlias = Mapping[str, Any] | pd.DataFrame


class LifecycleCycleError(ValueError):
    """The rules move a customer round in a circle, so there is no stage to settle in.

    Attributes
    ----------
    stages : tuple of str
        The stages of the circle, first repeated last (``("retention", "at_risk",
        "retention")``).
    rules : tuple of str
        The rules that made each move of the circle.
    position : int
        The position of a customer caught in it.
    """

    def __init__(self, stages: Sequence[str], rules: Sequence[str], position: int) -> None:
        self.stages = tuple(stages)
        self.rules = tuple(rules)
        self.position = position
        names = ", ".join(f'"{rule}"' for rule in self.rules)
        super().__init__(
            f"the rules move a customer round in a circle: {' -> '.join(self.stages)} "
            f"(rules {names}); make the conditions of these rules exclude each other"
        )


@dataclass(frozen=True)
class Moves:
    """One step of the fixed-point iteration: who moved, from where, to where, by which rule."""

    positions: IntArray
    source: IntArray
    target: IntArray
    rule: IntArray


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The outcome of :func:`lifecycle_evaluate` for every customer.

    Attributes
    ----------
    model : LifecycleModel
    start : ndarray of int
        Stage codes before (-1: not yet in any stage).
    stage : ndarray of int
        Stage codes after.
    rule : ndarray of int
        Code (position in ``model.rules``) of the rule that made the customer's last move;
        -1 when the customer stays where they were.
    steps : tuple of Moves
        Every move, step by step (a customer may move several times in one evaluation, e.g. a
        customer imported with five orders goes unstaged -> acquisition -> retention).
    index : pandas.Index
        The customers' labels (the facts DataFrame's index, or positions).
    """

    model: LifecycleModel
    start: IntArray
    stage: IntArray
    rule: IntArray
    steps: tuple[Moves, ...]
    index: pd.Index
    facts: FactColumns

    @property
    def changed(self) -> BoolArray:
        """Whether each customer ends in another stage than they started in."""
        return np.asarray(self.stage != self.start)

    def stage_keys(self) -> npt.NDArray[np.object_]:
        """The new stage of each customer, as keys (``None``: still in no stage)."""
        return self.model.stage_keys_of(self.stage)

    def rule_names(self) -> npt.NDArray[np.object_]:
        """The rule that made each customer's last move (``None``: stayed)."""
        table = np.array([*self.model.rule_names, None], dtype=object)
        return table[self.rule]

    def reasons(self, positions: npt.ArrayLike | None = None) -> list[str | None]:
        """The reason of each customer's last move in words (``None`` for those who stayed).

        Formatting is Python per customer, so ask for the positions you will show or store
        (e.g. ``np.flatnonzero(evaluation.changed)``); all customers by default.
        """
        pos = np.arange(self.stage.size) if positions is None else np.asarray(positions, np.int64)
        out: list[str | None] = [None] * pos.size
        moved_late = np.zeros(self.stage.size, dtype=bool)
        source = np.full(self.stage.size, UNSTAGED_CODE, dtype=np.int64)
        # The last move of each customer, with the stage it left and whether it was a later step.
        for number, step in enumerate(self.steps):
            source[step.positions] = step.source
            moved_late[step.positions] = number > 0
        rules = self.rule[pos]
        for late in (False, True):
            pick = np.flatnonzero((rules >= 0) & (moved_late[pos] == late))
            if pick.size == 0:
                continue
            who = pos[pick]
            texts = reason_texts(
                self.model, self.facts, who, source[who], self.stage[who], rules[pick], late
            )
            for slot, text in zip(pick.tolist(), texts, strict=True):
                out[slot] = text
        return out

    def transitions(self, *, reasons: bool = True) -> pd.DataFrame:
        """Every move as a row, for the transitions table.

        Columns: ``customer`` (the index label), ``step`` (0, 1, ... within this evaluation),
        ``from_stage`` (``None``: not yet in any stage), ``to_stage``, ``rule`` and, unless
        ``reasons=False`` (formatting is about 1 s per million moves), ``reason``.
        """
        frames = []
        for number, step in enumerate(self.steps):
            frames.append(
                pd.DataFrame(
                    {
                        "customer": self.index[step.positions],
                        "step": number,
                        "from_stage": self.model.stage_keys_of(step.source),
                        "to_stage": self.model.stage_keys_of(step.target),
                        "rule": np.array(self.model.rule_names, dtype=object)[step.rule],
                    }
                )
            )
            if reasons:
                frames[-1]["reason"] = reason_texts(
                    self.model,
                    self.facts,
                    step.positions,
                    step.source,
                    step.target,
                    step.rule,
                    number > 0,
                )
        if not frames:
            columns = ["customer", "step", "from_stage", "to_stage", "rule"]
            columns += ["reason"] if reasons else []
            return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
        return pd.concat(frames, ignore_index=True)

    def to_frame(self, *, reasons: bool = False) -> pd.DataFrame:
        """One row per customer: ``previous_stage``, ``stage``, ``changed``, ``rule`` (and
        ``reason``), indexed like the facts."""
        frame = pd.DataFrame(
            {
                "previous_stage": self.model.stage_keys_of(self.start),
                "stage": self.stage_keys(),
                "changed": self.changed,
                "rule": self.rule_names(),
            },
            index=self.index,
        )
        if reasons:
            frame["reason"] = self.reasons()
        return frame


def lifecycle_evaluate(
    model: LifecycleModel, facts: Facts, current: npt.ArrayLike | pd.Series
) -> Evaluation:
    """Move every customer to the stage the rules give for their facts (see module docstring).

    Parameters
    ----------
    model : LifecycleModel
        From :func:`definition_validate`.
    facts : pandas.DataFrame or mapping of str to array_like
        One column per fact in ``model.facts_used`` (others are ignored), one row per customer;
        see :data:`~tenure.domain.lifecycle.facts.FACTS`. Missing values are NaN (or ``None`` /
        ``pd.NA``); counts and flags may not be missing.
    current : array_like of str or int
        Each customer's stage now: keys (``None``, ``""`` or ``"unstaged"`` for none yet) or
        codes (positions in ``model.stages``, -1 for none yet).

    Returns
    -------
    Evaluation

    Raises
    ------
    InvalidInputError
        A fact is missing or malformed, or a stage is unknown.
    LifecycleCycleError
        The rules send some customer round in a circle.
    """
    codes = _current_codes(model, current)
    columns, index = _fact_columns(model, facts, codes.size)
    return _run(model, columns, codes, index)


def _run(
    model: LifecycleModel, columns: FactColumns, codes: IntArray, index: pd.Index
) -> Evaluation:
    stage = codes.copy()
    rule = np.full(codes.size, -1, dtype=np.int64)
    steps: list[Moves] = []
    active = np.arange(codes.size)
    subset: FactColumns = columns
    for number in range(len(model.stages) + 1):
        if active.size == 0:
            break
        if number > 0:
            subset = {name: values[active] for name, values in columns.items()}
            if STAGE_CLOCK in subset:
                subset[STAGE_CLOCK] = np.zeros(active.size)
        source = stage[active]
        fired = _first_matches(model, subset, source)
        target = np.where(fired >= 0, _targets(model)[fired], source)
        moving = target != source
        if not moving.any():
            break
        active = active[moving]
        steps.append(Moves(active, source[moving], target[moving], fired[moving]))
        if number == len(model.stages):  # one move more than there are stages: a cycle
            raise _cycle_error(model, steps, int(active[0]))
        stage[active] = target[moving]
        rule[active] = fired[moving]
    return Evaluation(model, codes, stage, rule, tuple(steps), index, columns)


def _targets(model: LifecycleModel) -> IntArray:
    return np.array([rule.target for rule in model.rules], dtype=np.int64)


def _first_matches(model: LifecycleModel, facts: FactColumns, source: IntArray) -> IntArray:
    """For each customer, the code of the first rule that matches (-1: none)."""
    n_stages = len(model.stages)
    chosen = np.full(source.size, -1, dtype=np.int64)
    undecided = np.ones(source.size, dtype=bool)
    memo: dict[int, BoolArray] = {}
    for code, rule in enumerate(model.rules):
        # Column n_stages of the table is "not yet in any stage", which code -1 indexes.
        allowed = np.zeros(n_stages + 1, dtype=bool)
        allowed[list(rule.sources)] = True
        candidates = allowed[source] & undecided
        if not candidates.any():
            continue
        hit = candidates & condition_holds(rule.when, facts, memo)
        chosen[hit] = code
        undecided &= ~hit
        if not undecided.any():
            break
    return chosen


def condition_holds(
    node: Condition, facts: FactColumns, memo: dict[int, BoolArray] | None = None
) -> BoolArray:
    """Evaluate a compiled condition for every customer (NaN compares false)."""
    memo = {} if memo is None else memo
    key = id(node)
    if key in memo:
        return memo[key]
    result: BoolArray
    if isinstance(node, AllOf):
        result = condition_holds(node.items[0], facts, memo).copy()
        for item in node.items[1:]:
            result &= condition_holds(item, facts, memo)
    elif isinstance(node, AnyOf):
        result = condition_holds(node.items[0], facts, memo).copy()
        for item in node.items[1:]:
            result |= condition_holds(item, facts, memo)
    elif isinstance(node, Not):
        result = ~condition_holds(node.item, facts, memo)
    elif isinstance(node, Presence):
        missing = _missing(facts[node.fact])
        result = ~missing if node.known else missing
    elif isinstance(node, Category):
        result = category_holds(node, facts[node.fact])
    else:
        result = compare_holds(node, facts)
    memo[key] = result
    return result


def _missing(values: np.ndarray) -> BoolArray:
    if values.dtype == bool:
        return np.zeros(values.size, bool)
    if values.dtype == object:  # a category: None is missing
        return np.asarray(pd.isna(values), dtype=bool)
    return np.isnan(values)


def category_holds(node: Category, values: np.ndarray) -> BoolArray:
    """``values`` (object: text or None) among ``node.values`` or, negated, known and not
    among them: a missing value is false both ways, as a comparison with NaN is."""
    among = pd.Index(values, dtype=object).isin(node.values)
    if node.negate:
        return np.asarray(~among & ~_missing(values), dtype=bool)
    return np.asarray(among, dtype=bool)


def compare_holds(node: Compare, facts: FactColumns) -> BoolArray:
    left = facts[node.fact]
    right: Any = node.value if node.other is None else facts[node.other] * node.times + node.plus
    op = node.op
    if op == "==":
        return np.asarray(left == right)
    if op == "!=":
        # NumPy says NaN != x is true; here a comparison with a missing value is false.
        result = np.asarray(left != right)
        if left.dtype != bool:
            result &= ~np.isnan(left)
            if node.other is not None:
                result &= ~np.isnan(right)
        return result
    if op == "<":
        return np.asarray(left < right)
    if op == "<=":
        return np.asarray(left <= right)
    if op == ">":
        return np.asarray(left > right)
    return np.asarray(left >= right)


def _current_codes(model: LifecycleModel, current: npt.ArrayLike | pd.Series) -> IntArray:
    values = current.to_numpy() if isinstance(current, pd.Series) else np.asarray(current)
    values = np.atleast_1d(values)
    if values.ndim != 1:
        raise InvalidInputError("current", "must be one stage per customer (a 1-d array)")
    if np.issubdtype(values.dtype, np.integer):
        codes = values.astype(np.int64)
        bad = (codes < UNSTAGED_CODE) | (codes >= len(model.stages))
        if bad.any():
            raise InvalidInputError(
                "current",
                f"stage codes must be from -1 to {len(model.stages) - 1}",
                count=int(bad.sum()),
                example=int(np.argmax(bad)),
            )
        return codes
    try:
        return model.stage_codes(values)
    except KeyError as exc:
        known = ", ".join(model.stage_keys)
        raise InvalidInputError(
            "current", f"unknown stage {exc.args[0]!r} (stages: {known})"
        ) from None


def _fact_columns(model: LifecycleModel, facts: Facts, n: int) -> tuple[FactColumns, pd.Index]:
    index = facts.index if isinstance(facts, pd.DataFrame) else pd.RangeIndex(n)
    columns: dict[str, np.ndarray] = {}
    for name in sorted(model.facts_used):
        if name not in facts:
            readers = [rule.name for rule in model.rules if name in rule.facts]
            raise InvalidInputError(
                name, f"is read by rule {readers[0]!r} but is not among the facts"
            )
        columns[name] = fact_column(name, facts[name], n, model.facts.get(name))
    return columns, index


def category_column(name: str, raw: Any, n: int) -> npt.NDArray[np.object_]:
    """A category fact as an object column of trimmed text, None where missing (None, NaN,
    or text that is empty once trimmed)."""
    plain = raw.to_numpy(dtype=object) if isinstance(raw, pd.Series) else np.asarray(raw, object)
    if plain.ndim != 1 or plain.size != n:
        raise InvalidInputError(name, f"has {plain.size} values for {n} customers")
    series = pd.Series(plain, dtype=object)
    known = series.notna().to_numpy()
    texts = series[known]
    if texts.size and pd.api.types.infer_dtype(texts, skipna=False) != "string":
        bad = next(v for v in texts.tolist() if not isinstance(v, str))
        raise InvalidInputError(name, f"is a category: values must be text, got {bad!r}")
    out = np.full(n, None, dtype=object)
    stripped = np.array(texts.str.strip().to_numpy(dtype=object), dtype=object)
    stripped[stripped == ""] = None
    out[known] = stripped
    return out


def fact_column(name: str, raw: Any, n: int, fact: Fact | None = None) -> np.ndarray:
    """One fact as a checked NumPy column: bool for flags, object (text, None = missing) for
    categories, float64 (NaN = missing) otherwise. ``fact``: its declaration (by default the
    built-in one of that name)."""
    fact = FACTS[name] if fact is None else fact
    if fact.kind == "category":
        return category_column(name, raw, n)
    plain = raw.to_numpy() if isinstance(raw, pd.Series) else np.asarray(raw)
    if plain.dtype == bool and plain.ndim == 1 and plain.size == n:
        return plain if fact.kind == "flag" else plain.astype(np.float64)
    try:
        if isinstance(raw, pd.Series):
            array = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.asarray(plain, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, f"must be numbers ({exc})") from None
    if array.ndim != 1 or array.size != n:
        raise InvalidInputError(name, f"has {array.size} values for {n} customers")
    missing = np.isnan(array)
    if not fact.nullable and missing.any():
        raise InvalidInputError(
            name,
            "may not be missing (counts and yes/no facts always have a value)",
            count=int(missing.sum()),
            example=int(np.argmax(missing)),
        )
    return array != 0 if fact.kind == "flag" else array


def _cycle_error(model: LifecycleModel, steps: list[Moves], position: int) -> LifecycleCycleError:
    path = []
    for step in steps:
        hit = np.flatnonzero(step.positions == position)
        if hit.size:
            i = int(hit[0])
            path.append((int(step.source[i]), int(step.target[i]), int(step.rule[i])))
    # After the first move the state is the stage alone: find the first stage seen twice.
    seen: dict[int, int] = {}
    for i, (_source, target, _rule) in enumerate(path):
        if target in seen:
            loop = path[seen[target] + 1 : i + 1]
            keys = [model.stages[target].key] + [model.stages[t].key for _s, t, _r in loop]
            return LifecycleCycleError(keys, [model.rules[r].name for _s, _t, r in loop], position)
        seen[target] = i
    keys = [model.stages[t].key for _s, t, _r in path]
    return LifecycleCycleError(keys, [model.rules[r].name for _s, _t, r in path], position)
