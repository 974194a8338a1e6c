"""Refuse rules that can send a customer round in a circle, before they are stored.

Whether some facts make a set of rules cycle is a satisfiability question; instead of solving
it, the engine is run on synthetic customers whose facts sit on and around every threshold the
rules use (the literal values, and ``times * other + plus`` for comparisons between facts),
with NaN for the facts that may be missing, starting from every stage. A category fact takes
the values the rules name, one they do not, and missing. A cycle that any such
customer can enter is reported as a definition error; one that needs values the probe did not
try is still caught at evaluation time (:class:`LifecycleCycleError`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from tenure.domain.lifecycle.engine import LifecycleCycleError, _run
from tenure.domain.lifecycle.model import (
    UNSTAGED_CODE,
    AllOf,
    AnyOf,
    Category,
    Compare,
    Condition,
    LifecycleModel,
    Not,
)

PROBES_PER_STAGE = 2048
_BASE = (0.0, 1.0, 2.0, 7.0, 30.0, 100.0, 1000.0)


def probe_cycles(model: LifecycleModel, *, seed: int = 0) -> LifecycleCycleError | None:
    """The first cycle the probe customers fall into, or ``None``."""
    rng = np.random.default_rng(seed)
    n_starts = len(model.stages) + 1
    n = PROBES_PER_STAGE * n_starts
    pools = _pools(model)
    columns = {}
    for name in model.facts_used:
        pool = pools[name]
        values = pool[rng.integers(0, pool.size, n)]
        columns[name] = values != 0 if model.facts[name].kind == "flag" else values
    starts = np.repeat(np.arange(UNSTAGED_CODE, len(model.stages)), PROBES_PER_STAGE)
    try:
        _run(model, columns, starts.astype(np.int64), pd.RangeIndex(n))
    except LifecycleCycleError as cycle:
        return cycle
    return None


def _pools(model: LifecycleModel) -> dict[str, np.ndarray]:
    near: dict[str, set[float]] = defaultdict(set)
    relations: list[Compare] = []
    for rule in model.rules:
        for leaf in _leaves(rule.when):
            if leaf.other is not None:
                relations.append(leaf)
            elif not isinstance(leaf.value, bool) and leaf.value is not None:
                near[leaf.fact].update(_around(leaf.value))
    texts: dict[str, set[str]] = defaultdict(set)
    for rule in model.rules:
        for node in _categories(rule.when):
            texts[node.fact].update(node.values)
    pools = {
        name: _texts(texts[name])
        if model.facts[name].kind == "category"
        else _pool(model, name, near[name])
        for name in model.facts_used
    }
    for leaf in relations:  # values of the left side near times * right side + plus
        right = pools[leaf.other][np.isfinite(pools[leaf.other])]  # type: ignore[index]
        near[leaf.fact].update(
            v for r in right.tolist() for v in _around(r * leaf.times + leaf.plus)
        )
    for leaf in relations:
        pools[leaf.fact] = _pool(model, leaf.fact, near[leaf.fact])
    return pools


def _around(value: float) -> tuple[float, ...]:
    return (value - 1.0, value - 0.01, value, value + 0.01, value + 1.0)


def _texts(named: set[str]) -> np.ndarray:
    """The values the rules name, one they do not, and missing."""
    other = "~" + "".join(sorted(named))  # differs from every named value
    return np.array([*sorted(named), other, None], dtype=object)


def _pool(model: LifecycleModel, name: str, extra: set[float]) -> np.ndarray:
    fact = model.facts[name]
    if fact.kind == "flag":
        return np.array([0.0, 1.0])
    values = {*_BASE, *extra}
    if fact.kind == "count":
        values = {float(round(v)) for v in values}
    values = {v for v in values if v >= 0}
    if fact.kind == "probability":
        values = {min(v, 1.0) for v in values} | {0.05, 0.25, 0.5, 0.75, 0.95}
    pool = sorted(values)
    if fact.nullable:
        pool.append(np.nan)
    return np.array(pool)


def _categories(node: Condition) -> list[Category]:
    if isinstance(node, AllOf | AnyOf):
        return [leaf for item in node.items for leaf in _categories(item)]
    if isinstance(node, Not):
        return _categories(node.item)
    return [node] if isinstance(node, Category) else []


def _leaves(node: Condition) -> list[Compare]:
    if isinstance(node, AllOf | AnyOf):
        return [leaf for item in node.items for leaf in _leaves(item)]
    if isinstance(node, Not):
        return _leaves(node.item)
    return [node] if isinstance(node, Compare) else []
