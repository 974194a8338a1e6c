"""The tasks' events: a task given to someone (created with an owner, or reassigned).

The event names the task and its owner by id only (no title: events carry no free text), so
a follower (``tenure.notifications``) reads the task itself.
"""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import event_record

TASK_ASSIGNED = EventKind("task.assigned", "A task was given to a team member (new or reassigned).")
event_kinds_register(TASK_ASSIGNED)


def task_assigned_record(*, task_id: int, owner_id: int, customer_id: int | None) -> None:
    event_record(
        TASK_ASSIGNED.name,
        subject="task",
        subject_id=task_id,
        customer_id=customer_id,
        data={"owner_id": owner_id},
    )
