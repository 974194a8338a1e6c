"""The lifecycle engine's events: a customer entered or left a stage; a health band changed.

A recompute writes one pair per customer whose stage it changed (left the old, entered the
new), dated when the move took effect in the customer's history, with ``correction`` when the
replay re-evaluated the past (their history changed before their stage was entered: a
back-dated order, an import). Moves a replay makes and undoes within one recompute are in the
stage history (transitions), not here. Keys are natural (customer, stage, moment), so a
recompute done twice writes each event once.
"""

from __future__ import annotations

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
    ``tenure.events.bulk.events_write_rows``."""
    rows: list[tuple[Any, ...]] = []
    for i in np.flatnonzero([a != b for a, b in zip(before, after, strict=True)]).tolist():
        customer, old, new = int(ids[i]), before[i], after[i]
        ms = entered_ms[i]
        at = _EPOCH + timedelta(milliseconds=float(ms)) if ms == ms else now
        stamp = int(ms) if ms == ms else int((now - _EPOCH) / timedelta(milliseconds=1))
        common = {"effective_at": at.isoformat(), "correction": bool(corrected[i])}
        if old is not None:
            data = {"stage": old, "role": model.role_of(old), "to_stage": new, **common}
            key = f"{STAGE_LEFT.name}:{customer}:{stamp}:{old}"
            rows.append((STAGE_LEFT.name, key, customer, "customer", customer, at, data))
        if new is not None:
            data = {"stage": new, "role": model.role_of(new), "from_stage": old, **common}
            key = f"{STAGE_ENTERED.name}:{customer}:{stamp}:{new}"
            rows.append((STAGE_ENTERED.name, key, customer, "customer", customer, at, data))
    return rows
