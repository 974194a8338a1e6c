"""Reason templates: ``"No order for {days_since_last_order:.0f} days"`` filled per customer.

A template is Python format syntax (``str.format``) whose fields are fact names (an
imported attribute too: ``{attribute.plan}``), or ``from_stage`` / ``to_stage`` (the stages'
display names). A missing value prints "unknown" whatever the format spec; counts print as
whole numbers, yes/no facts as "yes"/"no" and categories as their text.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.domain.lifecycle.facts import STAGE_CLOCK
from tenure.domain.lifecycle.model import LifecycleModel

IntArray = npt.NDArray[np.int64]
FactColumns = Mapping[str, np.ndarray]


class _Unknown:
    """Stands in for a missing value in a reason: any format spec gives "unknown"."""

    def __format__(self, spec: str) -> str:
        return "unknown"


UNKNOWN = _Unknown()
REASON_FIELDS = ("from_stage", "to_stage")
"""Placeholders a reason may use besides the facts: the display names of the stages."""


def reason_facts(template: str) -> frozenset[str]:
    """The facts a (valid) reason template prints: every field but the stages'."""
    return frozenset(
        name
        for _literal, name, _spec in reason_fields(template)
        if name and name not in REASON_FIELDS
    )


def reason_fields(template: str) -> list[tuple[str, str, str | None]]:
    """``(literal text, field name, format spec)`` pieces of a reason template (the last field
    may be ``""`` when the template ends in literal text)."""
    return [
        (literal, name or "", spec)
        for literal, name, spec, _conversion in string.Formatter().parse(template)
    ]


def positional(template: str) -> tuple[str, list[str]]:
    """Rewrite ``"{days:.0f} days"`` as ``"{0:.0f} days"`` and list the fields, once."""
    out: list[str] = []
    names: list[str] = []
    for literal, name, spec in reason_fields(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name:
            out.append(f"{{{len(names)}{':' + spec if spec else ''}}}")
            names.append(name)
    return "".join(out), names


def _python_values(kind: str, values: np.ndarray) -> list[Any]:
    if kind == "category":
        return [value if isinstance(value, str) else UNKNOWN for value in values.tolist()]
    if kind == "flag":
        return ["yes" if value else "no" for value in values.tolist()]
    if kind == "count":
        return [int(value) for value in values.tolist()]
    return [UNKNOWN if value != value else value for value in values.tolist()]


def _formatted(kind: str, values: np.ndarray, spec: str | None) -> np.ndarray:
    """``format(value, spec)`` of each value as an object array of strings, formatting each
    distinct value once (a million moves carry a few thousand distinct day counts)."""
    if values.size == 0:
        return np.empty(0, dtype=object)
    plain: Any
    if kind == "category":  # text and None: no order between them, so factorize, not unique
        inverse, distinct = pd.factorize(values, use_na_sentinel=False)
        plain = _python_values(kind, np.asarray(distinct, dtype=object))
    else:
        distinct, inverse = np.unique(values, return_inverse=True)
        plain = distinct if kind == "stage" else _python_values(kind, distinct)
    texts = np.array([format(value, spec or "") for value in list(plain)], dtype=object)
    return texts[np.asarray(inverse).reshape(-1)]


def reason_texts(
    model: LifecycleModel,
    facts: FactColumns,
    positions: IntArray,
    source: IntArray,
    target: IntArray,
    rules: IntArray,
    late: bool,
) -> list[str]:
    """The reason template of each move, filled with the facts as the rule saw them.

    Vectorised per rule: each field is formatted once per distinct value and the pieces are
    joined as object arrays (a string concatenation per piece, not a ``str.format`` call and a
    tuple per move): the same text as ``template.format(...)``."""
    texts = np.full(positions.size, "", dtype=object)
    names = np.array([*(stage.name for stage in model.stages), "no stage"], dtype=object)
    for code in np.unique(rules).tolist():
        pick = np.flatnonzero(rules == code)
        out = np.full(pick.size, "", dtype=object)
        for literal, name, spec in reason_fields(model.rules[code].reason):
            if literal:
                out = out + literal
            if not name:
                continue
            kind = "stage" if name in REASON_FIELDS else model.facts[name].kind
            if name == "from_stage":
                values = names[source[pick]]
            elif name == "to_stage":
                values = names[target[pick]]
            elif name == STAGE_CLOCK and late:
                values = np.zeros(pick.size)
            else:
                values = np.asarray(facts[name])[positions[pick]]
            out = out + _formatted(kind, values, spec)
        texts[pick] = out
    return texts.tolist()
