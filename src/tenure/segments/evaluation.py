"""Who is in a segment: its definition checked over the facts registry and run on the facts.

The facts of many segments are read together: one ``facts_frame`` (the registry runs only the
providers of the facts some segment reads, each set-wise per chunk of 100,000 customers), a
second only when some definition reads an imported attribute as a number and another as a
category. Each definition is then a few NumPy operations over the columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.domain.facts import REGISTRY, Fact, is_attribute
from tenure.domain.segments import SegmentDefinition, segment_definition_validate, segment_holds
from tenure.lifecycle.facts import facts_frame

IntArray = npt.NDArray[np.int64]


def segment_facts() -> dict[str, Fact]:
    """Every fact a segment may read (``attribute.<name>`` aside), in the registry's order."""
    return REGISTRY.facts()


def definition_check(data: Any) -> SegmentDefinition:
    """The definition compiled, or ``DefinitionError`` naming each problem's path and reason."""
    return segment_definition_validate(data, facts=segment_facts())


@dataclass(frozen=True)
class Evaluated:
    """The customers evaluated (sorted ids) and, per segment key, who meets its definition."""

    ids: IntArray
    holds: dict[int, npt.NDArray[np.bool_]]

    def members(self, key: int) -> IntArray:
        return self.ids[self.holds[key]]


def segments_evaluate(
    definitions: Mapping[int, SegmentDefinition],
    *,
    now: datetime,
    customer_ids: npt.ArrayLike | None = None,
) -> Evaluated:
    """Evaluate ``definitions`` (by key) for the customers ``customer_ids`` (None: everyone;
    ids that do not exist are left out) as of ``now``."""
    plain: set[str] = set()
    by_kind: dict[str, set[str]] = {"category": set(), "number": set()}
    for definition in definitions.values():
        for name, fact in definition.facts.items():
            if is_attribute(name):
                by_kind["number" if fact.kind == "number" else "category"].add(name)
            else:
                plain.add(name)
    ids = None if customer_ids is None else np.unique(np.asarray(customer_ids, dtype=np.int64))
    frames: dict[str, pd.DataFrame] = {}
    for kind, attributes in by_kind.items():
        needed = attributes | (plain if kind == "category" else set())
        if needed or (kind == "category" and not by_kind["number"]):
            frames[kind] = facts_frame(
                customer_ids=ids,
                now=now,
                needed=needed,
                kinds=dict.fromkeys(attributes, kind),
            )
    index = next(iter(frames.values())).index
    found = np.asarray(index, dtype=np.int64)
    holds: dict[int, npt.NDArray[np.bool_]] = {}
    for key, definition in definitions.items():
        columns = {
            name: frames["number" if is_attribute(name) and fact.kind == "number" else "category"][
                name
            ]
            for name, fact in definition.facts.items()
        }
        holds[key] = segment_holds(definition, columns, found.size)
    return Evaluated(ids=found, holds=holds)
