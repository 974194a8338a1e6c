"""Free-form attributes (a business's own imported columns, kept as text) as typed columns an
analysis can compare.

A business imports whatever it knows about its customers ("plan", "region", "seats"), and
tenure keeps each as text in a mapping per customer. To compare them, each key becomes a
column: numeric when nearly all its values read as numbers ("12", "3.5"), categorical
otherwise. Keys that almost nobody has are left out, and so are the rarer keys beyond
``max_keys``: each one tested costs the others statistical power (the false discovery rate is
controlled over all of them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Attributes:
    """Typed columns (one per kept key, named ``prefix + key``), their display labels, and
    what was left out, in words."""

    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _number(text: Any) -> float | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    try:
        value = float(str(text).strip().replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def attributes_frame(
    mappings: Iterable[Mapping[str, Any] | None],
    *,
    prefix: str = "",
    label_prefix: str = "",
    max_keys: int = 40,
    min_share: float = 0.01,
    numeric_share: float = 0.9,
) -> Attributes:
    """One typed column per attribute key of ``mappings`` (one mapping per row; None or empty
    for a row without attributes).

    Parameters
    ----------
    prefix, label_prefix : str
        Put before each column name and each label (``"account__"``, ``"Account: "``).
    max_keys : int
        At most this many keys are kept, the most common first (ties by name).
    min_share : float
        A key given a value by fewer than this share of the rows is left out.
    numeric_share : float
        A key is numeric when at least this share of its values read as finite numbers; the
        values that do not are then missing.
    """
    rows = [dict(m) if m else {} for m in mappings]
    counts: Counter[str] = Counter(
        key for row in rows for key, value in row.items() if _present(value)
    )
    threshold = max(1, math.ceil(min_share * len(rows)))
    common = sorted(
        (key for key, n in counts.items() if n >= threshold), key=lambda k: (-counts[k], k)
    )
    kept = common[:max_keys]
    notes = []
    if rare := len(counts) - len(common):
        notes.append(f"{rare} attributes given by under {min_share:.0%} of customers left out")
    if beyond := len(common) - len(kept):
        notes.append(f"{beyond} less common attributes left out (at most {max_keys} compared)")
    columns: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for key in kept:
        raw = [row.get(key) if _present(row.get(key)) else None for row in rows]
        numbers = [_number(value) if value is not None else None for value in raw]
        given = sum(value is not None for value in raw)
        readable = sum(number is not None for number in numbers)
        name = f"{prefix}{key}"
        if given and readable >= numeric_share * given:
            columns[name] = np.array(
                [np.nan if number is None else number for number in numbers], dtype=np.float64
            )
        else:
            columns[name] = pd.Series(
                [None if value is None else str(value).strip() for value in raw], dtype=object
            )
        labels[name] = f"{label_prefix}{key}"
    return Attributes(pd.DataFrame(columns, index=range(len(rows))), labels, notes)
