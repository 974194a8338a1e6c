"""The success app's events: an onboarding started, a goal achieved, a plan reviewed.

Ids only (events carry no free text); an account's events name no customer.
"""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import event_record

ONBOARDING_STARTED = EventKind("success.onboarding_started", "An onboarding checklist started.")
GOAL_ACHIEVED = EventKind("success.goal_achieved", "A success plan's goal was achieved.")
PLAN_REVIEWED = EventKind("success.plan_reviewed", "A success plan was reviewed with the account.")
PLAN_STATUS_CHANGED = EventKind(
    "success.plan_status_changed", "A success plan's status changed (draft, active, ...)."
)
APPRECIATION_RECORDED = EventKind(
    "appreciation.recorded", "A gift, thank-you note or invitation was given to an account."
)
APPRECIATION_DELETED = EventKind("appreciation.deleted", "A recorded appreciation was deleted.")
event_kinds_register(
    ONBOARDING_STARTED, GOAL_ACHIEVED, PLAN_REVIEWED, PLAN_STATUS_CHANGED, APPRECIATION_RECORDED,
    APPRECIATION_DELETED,
)  # fmt: skip


def success_event(
    kind: EventKind,
    *,
    subject: str,
    subject_id: int,
    customer_id: int | None = None,
    **data: object,
) -> None:
    event_record(
        kind.name, subject=subject, subject_id=subject_id, customer_id=customer_id, data=data
    )
