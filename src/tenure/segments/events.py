"""The segments' events: a customer entered or left a segment.

Written set-wise by ``tenure.events.bulk.events_write_rows`` in the transaction that stores
the stays, keyed by the stay (segment, customer, moment), so a refresh done twice writes each
once. ``data`` names the segment by id and slug (an admin's words, no personal data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tenure.events.kinds import EventKind, event_kinds_register

ENTERED = EventKind("segment.entered", "A customer entered a segment (now meets its definition).")
LEFT = EventKind(
    "segment.left", "A customer left a segment (no longer meets it, or it was deleted)."
)
event_kinds_register(ENTERED, LEFT)


def membership_event_rows(
    *,
    kind: EventKind,
    segment_id: int,
    slug: str,
    customer_ids: Iterable[int],
    at: datetime,
    reason: str = "",
) -> list[tuple[Any, ...]]:
    """Rows for ``events_write_rows``: (kind, key, customer, subject, subject id, at, data)."""
    moment = at.isoformat()
    stamp = int(at.timestamp() * 1000)
    data = json.dumps(
        {"segment_id": segment_id, "slug": slug, **({"reason": reason} if reason else {})}
    )
    return [
        (kind.name, f"{kind.name}:{segment_id}:{c}:{stamp}", c, "segment", segment_id, moment, data)
        for c in customer_ids
    ]
