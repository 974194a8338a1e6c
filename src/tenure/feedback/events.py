"""The feedback app's events: surveys answered, changed, deleted; referrals made, changed,
deleted. Dated by when the answer was given and when the referral was made.

An answer's event names its band (``band``: NPS ``detractor`` / ``passive`` / ``promoter``,
CSAT ``dissatisfied`` / ``neutral`` / ``satisfied``, CES ``difficult`` / ``neutral`` /
``easy``, the bands of ``tenure.analytics.feedback``) and whether it is ``low`` (the negative
band), so a playbook starts on "an NPS detractor" or "any low answer" by its trigger:
``{"type": "event", "kind": "survey.answered", "match": {"kind": "nps", "band": "detractor"}}``
or ``"match": {"low": true}``."""

from __future__ import annotations

from tenure.analytics.feedback import BANDS
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

# The singular of each band's name, negative, neutral, positive (the events' ``band``).
BAND_WORDS: dict[str, tuple[str, str, str]] = {
    "nps": ("detractor", "passive", "promoter"),
    "csat": ("dissatisfied", "neutral", "satisfied"),
    "ces": ("difficult", "neutral", "easy"),
}

event_kinds_register(
    ANSWERED, ANSWER_CHANGED, ANSWER_DELETED, REFERRED, REFERRAL_CHANGED, REFERRAL_DELETED
)


def answer_band(kind: str, score: int) -> str:
    """The band an answer falls in: ``detractor``, ``passive``, ``promoter`` for NPS, ..."""
    negative, positive = BANDS[kind]
    low, middle, high = BAND_WORDS[kind]
    return low if score <= negative else high if score >= positive else middle


def answer_events(answer_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    scale, score = str(values["kind"]), int(values["score"])
    band = answer_band(scale, score) if scale in BANDS else ""
    low = scale in BANDS and band == BAND_WORDS[scale][0]
    data: dict[str, object] = {"kind": scale, "score": score, "band": band, "low": low}
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
