"""The interactions' events: logged, changed, deleted; complaints (and tickets) opened,
resolved and reopened. Dated by ``occurred_at``, a resolution by when it was resolved."""

from __future__ import annotations

from django.utils import timezone

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent
from tenure.events.tracking import Values, changed_fields
from tenure.interactions.models import CASE_KINDS, CaseStatus

FIELDS = (
    "customer_id", "account_id", "contact_id", "kind", "occurred_at", "subject", "body", "status",
    "resolution", "resolved_at",
)  # fmt: skip

LOGGED = EventKind(
    "interaction.logged", "A call, meeting, email, note or case was logged.", dated=True
)
CHANGED = EventKind("interaction.changed", "An interaction was edited.", dated=True)
DELETED = EventKind("interaction.deleted", "An interaction was deleted.", dated=True)
OPENED = EventKind("complaint.opened", "A complaint or support ticket was opened.", dated=True)
RESOLVED = EventKind(
    "complaint.resolved", "A complaint or support ticket was resolved.", dated=True
)
REOPENED = EventKind(
    "complaint.reopened", "A resolved complaint or ticket was reopened.", dated=True
)
event_kinds_register(LOGGED, CHANGED, DELETED, OPENED, RESOLVED, REOPENED)


def interaction_events(
    interaction_id: int, before: Values | None, after: Values | None
) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    customer_id = values["customer_id"]
    data = {"kind": str(values["kind"]), "account_id": values["account_id"]}

    def event(kind: EventKind, at: object, **extra: object) -> NewEvent:
        once = kind in (LOGGED, OPENED, DELETED)
        return NewEvent(
            kind.name, "interaction", interaction_id, customer_id, at, {**data, **extra},  # type: ignore[arg-type]
            key=f"{kind.name}:{interaction_id}" if once else "",
        )  # fmt: skip

    is_case = values["kind"] in CASE_KINDS
    if after is None:
        return [event(DELETED, values["occurred_at"])]
    if before is None:
        events = [event(LOGGED, after["occurred_at"])]
        if is_case:
            events.append(event(OPENED, after["occurred_at"]))
            if after["status"] == CaseStatus.RESOLVED:
                events.append(event(RESOLVED, after["resolved_at"] or after["occurred_at"]))
        return events
    fields = changed_fields(before, after)
    events = []
    was, now = before["status"] == CaseStatus.RESOLVED, after["status"] == CaseStatus.RESOLVED
    if is_case and now and not was:
        events.append(event(RESOLVED, after["resolved_at"] or timezone.now()))
    elif is_case and was and not now:
        events.append(event(REOPENED, timezone.now()))
    rest = [name for name in fields if name not in ("status", "resolved_at")]
    if rest or (is_case and was == now and "status" in fields):
        # Re-dating an entry changes the history from the earlier of its two dates; editing
        # its words happens now.
        moved = before["occurred_at"] != after["occurred_at"]
        at = min(before["occurred_at"], after["occurred_at"]) if moved else None
        extra: dict[str, object] = {"fields": fields}
        if before["customer_id"] != after["customer_id"]:
            extra["customer_before"] = before["customer_id"]
        events.append(event(CHANGED, at, **extra))
    return events
