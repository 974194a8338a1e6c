"""The lifecycle engine's events: a customer entered or left a stage; a health band changed.

A recompute writes one pair per customer whose stage it changed (left the old, entered the
new), dated when the move took effect in the customer's history, with ``correction`` when the
replay re-evaluated the past (their history changed before their stage was entered: a
back-dated order, an import). Moves a replay makes and undoes within one recompute are in the
stage history (transitions), not here. Keys are natural (customer, stage, moment), so a
recompute done twice writes each event once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from tenure.domain.lifecycle import LifecycleModel
from tenure.events.kinds import EventKind, event_kinds_register

STAGE_ENTERED = EventKind(
    "stage.entered", "A customer entered a lifecycle stage (its role says what it means)."
)
STAGE_LEFT = EventKind("stage.left", "A customer left a lifecycle stage.")
HEALTH_BAND_CHANGED = EventKind(
    "health.band_changed", "A customer's or an account's health band changed (red, yellow, green)."
)
event_kinds_register(STAGE_ENTERED, STAGE_LEFT, HEALTH_BAND_CHANGED)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stage_event_rows(
    *,
    ids: np.ndarray,
    before: list[str | None],
    after: list[str | None],
    entered_ms: np.ndarray,
    corrected: np.ndarray,
    model: LifecycleModel,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """The events of the customers whose stage went from ``before`` to ``after``, as rows for
    ``tenure.events.bulk.events_write_rows``: ``at`` as ISO text and ``data`` as JSON text,
    made by array operations and formatting, since a first recompute writes a million."""
    changed = np.flatnonzero(np.array(before, dtype=object) != np.array(after, dtype=object))
    if not len(changed):
        return []
    now_ms = int((now - _EPOCH) / timedelta(milliseconds=1))
    ms = np.asarray(entered_ms, dtype=np.float64)[changed]
    stamps = np.where(np.isnan(ms), now_ms, ms).astype(np.int64)
    moments = np.datetime_as_string(stamps.astype("datetime64[ms]"), unit="ms").tolist()
    stages = {key for i in changed.tolist() for key in (before[i], after[i])}
    text = {key: json.dumps(key) for key in stages}  # stage keys are an admin's words
    role = {key: json.dumps(None if key is None else model.role_of(key)) for key in stages}
    fixed = np.asarray(corrected, dtype=bool)[changed].tolist()
    rows: list[tuple[Any, ...]] = []
    for j, (i, stamp, moment) in enumerate(
        zip(changed.tolist(), stamps.tolist(), moments, strict=True)
    ):
        customer, old, new = int(ids[i]), before[i], after[i]
        at, who = f"{moment}+00:00", "customer"
        common = f'"effective_at": "{at}", "correction": {"true" if fixed[j] else "false"}}}'
        if old is not None:
            data = f'{{"stage": {text[old]}, "role": {role[old]}, "to_stage": {text[new]}, '
            key = f"{STAGE_LEFT.name}:{customer}:{stamp}:{old}"
            rows.append((STAGE_LEFT.name, key, customer, who, customer, at, data + common))
        if new is not None:
            data = f'{{"stage": {text[new]}, "role": {role[new]}, "from_stage": {text[old]}, '
            key = f"{STAGE_ENTERED.name}:{customer}:{stamp}:{new}"
            rows.append((STAGE_ENTERED.name, key, customer, who, customer, at, data + common))
    return rows
