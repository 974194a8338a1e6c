"""The voices' events: a comment or review recorded, changed (matched to a customer, ...),
deleted. Dated by when it was published; ids and field names only, never its words."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent
from tenure.events.tracking import Values, changed_fields

VOICE_FIELDS = (
    "customer_id", "account_id", "source_kind", "source_name", "rating", "rating_scale",
    "published_at", "language",
)  # fmt: skip
RECORDED = EventKind(
    "voice.recorded", "A comment, review or feedback-form entry was recorded.", dated=True
)
CHANGED = EventKind(
    "voice.changed", "A comment or review changed (matched to a customer, ...).", dated=True
)
DELETED = EventKind("voice.deleted", "A comment or review was deleted.", dated=True)
event_kinds_register(RECORDED, CHANGED, DELETED)


def voice_events(voice_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    data: dict[str, object] = {
        "source_kind": str(values["source_kind"]),
        "rating": values["rating"],
        "rating_scale": values["rating_scale"],
    }
    if after is None:
        kind, at, key = DELETED, values["published_at"], f"{DELETED.name}:{voice_id}"
    elif before is None:
        kind, at, key = RECORDED, values["published_at"], f"{RECORDED.name}:{voice_id}"
    else:
        kind, at, key = CHANGED, min(before["published_at"], after["published_at"]), ""
        data["fields"] = changed_fields(before, after)
        if before["customer_id"] != after["customer_id"]:
            data["customer_before"] = before["customer_id"]
    return [NewEvent(kind.name, "voice", voice_id, values["customer_id"], at, data, key)]
