"""The feedback app's events: surveys answered, changed, deleted; referrals made, changed,
deleted. Dated by when the answer was given and when the referral was made."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent
from tenure.events.tracking import Values, changed_fields

ANSWER_FIELDS = ("customer_id", "kind", "score", "answered_at", "channel", "order_id")
ANSWERED = EventKind(
    "survey.answered", "A customer answered a survey (NPS, CSAT, ...).", dated=True
)
ANSWER_CHANGED = EventKind("survey.changed", "A survey answer was corrected.", dated=True)
ANSWER_DELETED = EventKind("survey.deleted", "A survey answer was deleted.", dated=True)

REFERRAL_FIELDS = ("referrer_id", "referred_customer_id", "referred_at", "status")
REFERRED = EventKind("referral.made", "A customer referred someone.", dated=True)
REFERRAL_CHANGED = EventKind(
    "referral.changed", "A referral changed (its status, ...).", dated=True
)
REFERRAL_DELETED = EventKind("referral.deleted", "A referral was deleted.", dated=True)

event_kinds_register(
    ANSWERED, ANSWER_CHANGED, ANSWER_DELETED, REFERRED, REFERRAL_CHANGED, REFERRAL_DELETED
)


def answer_events(answer_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    data: dict[str, object] = {"kind": str(values["kind"]), "score": int(values["score"])}
    if after is None:
        kind, at, key = ANSWER_DELETED, values["answered_at"], f"{ANSWER_DELETED.name}:{answer_id}"
    elif before is None:
        kind, at, key = ANSWERED, values["answered_at"], f"{ANSWERED.name}:{answer_id}"
    else:
        kind, at, key = ANSWER_CHANGED, min(before["answered_at"], after["answered_at"]), ""
        data["fields"] = changed_fields(before, after)
        if before["customer_id"] != after["customer_id"]:
            data["customer_before"] = before["customer_id"]
    return [NewEvent(kind.name, "survey_answer", answer_id, values["customer_id"], at, data, key)]


def referral_events(
    referral_id: int, before: Values | None, after: Values | None
) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    data: dict[str, object] = {
        "status": str(values["status"]),
        "referred_customer_id": values["referred_customer_id"],
    }
    if after is None:
        kind, at, key = (
            REFERRAL_DELETED,
            values["referred_at"],
            f"{REFERRAL_DELETED.name}:{referral_id}",
        )
    elif before is None:
        kind, at, key = REFERRED, values["referred_at"], f"{REFERRED.name}:{referral_id}"
    else:
        kind, at, key = REFERRAL_CHANGED, min(before["referred_at"], after["referred_at"]), ""
        data["fields"] = changed_fields(before, after)
        if before["referrer_id"] != after["referrer_id"]:
            data["customer_before"] = before["referrer_id"]
    return [NewEvent(kind.name, "referral", referral_id, values["referrer_id"], at, data, key)]
