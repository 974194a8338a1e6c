"""Customers in chunks, and numbers read set-wise: the tools every fact provider shares.

A chunk is up to 100,000 customer ids that SQL selects together (an id range when they are
dense, lists of 10,000 otherwise); ``fetch_numbers`` reads a ``values_list`` of numbers
through the raw cursor into one float array (no Python object per row), and ``scatter``
puts per-customer results (keys) onto the chunk's ids, a fill value for the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Q, QuerySet

IntArray = npt.NDArray[np.int64]
DAY = 86_400.0
CHUNK = 100_000
LIST_CHUNK = 10_000


@dataclass(frozen=True)
class Chunk:
    """Customer ids to compute together, and how SQL selects them: an id range (then the
    result is cut down to ``ids``) when they are dense, an id list otherwise."""

    ids: IntArray
    dense: bool

    def where(self, field: str) -> Q:
        if self.dense:
            return Q(**{f"{field}__gte": int(self.ids[0]), f"{field}__lte": int(self.ids[-1])})
        return Q(**{f"{field}__in": self.ids.tolist()})


def chunks(ids: npt.ArrayLike, size: int = CHUNK) -> Iterator[Chunk]:
    """Sorted unique ids in chunks of ``size``: ranges where at least half the ids in the range
    are wanted (a whole-base recompute), lists of ``LIST_CHUNK`` otherwise."""
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    for start in range(0, ids.size, size):
        part = ids[start : start + size]
        if part.size and (part[-1] - part[0] + 1) <= 2 * part.size:
            yield Chunk(part, dense=True)
            continue
        for low in range(0, part.size, LIST_CHUNK):
            yield Chunk(part[low : low + LIST_CHUNK], dense=False)


def fetch_numbers(queryset: QuerySet[Any], width: int) -> npt.NDArray[np.float64]:
    """A ``values_list`` of numbers (None -> NaN) as a float array, through the raw cursor."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.empty((0, width))
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def lookup(ids: IntArray, keys: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Positions of ``keys`` in the sorted ``ids`` and whether each key is one of them."""
    pos = np.searchsorted(ids, keys)
    pos = np.minimum(pos, max(ids.size - 1, 0))
    found = ids[pos] == keys if ids.size else np.zeros(keys.size, dtype=bool)
    return pos, found


def scatter(ids: IntArray, keys: IntArray, values: npt.ArrayLike, fill: float) -> Any:
    """``values`` (one per key) on the positions of ``ids``; ``fill`` for ids without one."""
    out = np.full(ids.size, fill, dtype=np.float64)
    pos, found = lookup(ids, keys)
    out[pos[found]] = np.asarray(values, dtype=np.float64)[found]
    return out
