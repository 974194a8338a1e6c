"""The ideas board's events: a customer asked for an idea, an idea's status changed, an idea
was merged into another. Ids only (events carry no free text)."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import event_record

IDEA_REQUESTED = EventKind("idea.requested", "A customer asked for an idea on the ideas board.")
IDEA_STATUS_CHANGED = EventKind(
    "idea.status_changed", "An idea's status changed (under review, planned, done, ...)."
)
IDEA_MERGED = EventKind("idea.merged", "An idea was merged into another (its requests moved).")
event_kinds_register(IDEA_REQUESTED, IDEA_STATUS_CHANGED, IDEA_MERGED)


def idea_event(
    kind: EventKind, *, subject_id: int, customer_id: int | None = None, **data: object
) -> None:
    event_record(
        kind.name, subject="idea", subject_id=subject_id, customer_id=customer_id, data=data
    )
