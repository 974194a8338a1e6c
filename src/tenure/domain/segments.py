"""Segments: saved dynamic filters over customers, as data. Pure: no Django.

A segment definition is a JSON object whose ``when`` is one condition of the lifecycle rule
grammar (:mod:`tenure.domain.lifecycle`: ``all`` / ``any`` / ``not``, a fact against a value
or another fact, categories with ``is`` / ``in``, ``known`` / ``missing``), read over the facts
of the facts registry (:mod:`tenure.domain.facts`: every registered fact, not only the ones
lifecycle rules may read, and ``attribute.<name>``)::

    {"grammar": 1,
     "when": {"all": [{"fact": "health_band", "op": "is", "value": "red"},
                      {"fact": "predicted_clv_365", "op": ">=", "value": 500}]},
     "conditions": {"quiet": {"fact": "days_since_last_order", "op": ">", "value": 90}}}

``conditions`` (optional) names conditions ``when`` may use as ``{"condition": "quiet"}``.
Every problem names its path (``when.all[1].value``) and the reason, as the lifecycle
editor's do. A customer is a member when ``when`` holds for their facts now; a comparison with
a missing value is false.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.domain.facts import Fact, is_attribute
from tenure.domain.lifecycle.engine import condition_holds, fact_column
from tenure.domain.lifecycle.model import Condition, DefinitionError, Problem
from tenure.domain.lifecycle.parse import condition_compile, did_you_mean, shown

__all__ = [
    "DEFINITION_MAX_CHARS",
    "DEFINITION_MAX_DEPTH",
    "SEGMENT_GRAMMAR",
    "DefinitionError",
    "Problem",
    "SegmentDefinition",
    "membership_changes",
    "segment_definition_validate",
    "segment_holds",
]

SEGMENT_GRAMMAR = 1
_TOP_KEYS = ("grammar", "when", "conditions")
DEFINITION_MAX_CHARS = 64_000
"""A definition longer than this as JSON is refused (a page's builder writes a few hundred)."""
DEFINITION_MAX_DEPTH = 40
"""Nesting deeper than this is refused before it is compiled (the compiler recurses)."""


@dataclass(frozen=True)
class SegmentDefinition:
    """A validated definition: the compiled ``when``, the declaration of every fact it reads
    (attributes typed by their use) and ``data``, the definition as stored."""

    when: Condition
    facts: Mapping[str, Fact]
    data: dict[str, Any]

    @property
    def attribute_kinds(self) -> dict[str, str]:
        """How each ``attribute.<name>`` read is read (``number`` or ``category``)."""
        return {name: fact.kind for name, fact in self.facts.items() if is_attribute(name)}


def _depth(value: Any) -> int:
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if depth > DEFINITION_MAX_DEPTH:
            break
        if isinstance(item, dict):
            todo.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            todo.extend((child, depth + 1) for child in item)
    return deepest


def segment_definition_validate(data: Any, *, facts: Mapping[str, Fact]) -> SegmentDefinition:
    """Check a segment definition over ``facts`` (the registry's) and compile it.

    Raises
    ------
    DefinitionError
        With one :class:`Problem` per mistake, each naming its path and reason, e.g.
        ``when.all[0].fact: unknown fact "order_count" (did you mean "orders_count"?)``.
    """
    if _depth(data) > DEFINITION_MAX_DEPTH:
        raise DefinitionError(
            [Problem("", f"is nested more than {DEFINITION_MAX_DEPTH} levels deep")]
        )
    try:
        text = json.dumps(data, allow_nan=False)
        normalised = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DefinitionError([Problem("", f"must be plain JSON data ({exc})")]) from None
    if len(text) > DEFINITION_MAX_CHARS:
        raise DefinitionError(
            [Problem("", f"is longer than {DEFINITION_MAX_CHARS:,} characters as JSON")]
        )
    if not isinstance(normalised, dict):
        raise DefinitionError([Problem("", 'must be an object: {"when": <condition>}')])
    problems = [
        Problem(str(key), f'unknown key "{key}"{did_you_mean(key, _TOP_KEYS)}')
        for key in normalised
        if key not in _TOP_KEYS
    ]
    grammar = normalised.setdefault("grammar", SEGMENT_GRAMMAR)
    if grammar != SEGMENT_GRAMMAR:
        problems.append(Problem("grammar", f"unknown grammar version {shown(grammar)}: use 1"))
    if "when" not in normalised:
        problems.append(Problem("when", "missing: the condition a member meets"))
    if problems:
        raise DefinitionError(problems)
    named = normalised.get("conditions", {})
    when, specs = condition_compile(normalised["when"], facts=facts, named=named)
    return SegmentDefinition(when=when, facts=specs, data=normalised)


def segment_holds(
    definition: SegmentDefinition, facts: Mapping[str, Any], n: int
) -> npt.NDArray[np.bool_]:
    """Whether each of ``n`` customers is a member, from their ``facts`` (a column per fact
    the definition reads, one value per customer; a DataFrame will do)."""
    columns = {
        name: fact_column(name, facts[name], n, spec) for name, spec in definition.facts.items()
    }
    if not columns:  # no fact read: a condition needs one, so this is unreachable
        return np.zeros(n, dtype=bool)
    return np.asarray(condition_holds(definition.when, columns), dtype=bool)


def membership_changes(
    ids: npt.ArrayLike, holds: npt.ArrayLike, members: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Who enters and who leaves: of the customers ``ids`` (evaluated; ``holds`` says who
    meets the definition), those not among ``members`` (the open stays) who meet it enter,
    and those among them who do not meet it leave. Members not evaluated stay as they are.
    Both sorted."""
    ids = np.asarray(ids, dtype=np.int64)
    holds = np.asarray(holds, dtype=bool)
    members = np.asarray(members, dtype=np.int64)
    inside = np.isin(ids, members)
    entered = np.sort(ids[holds & ~inside])
    left = np.sort(ids[~holds & inside])
    return entered, left
