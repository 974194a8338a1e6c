"""A bulk change of tasks: reassign, reschedule or close many tasks at once, from the Tasks
list or the API, as a background run like the customers' and accounts' (``services``).

Each task goes through ``tenure.todos.services.task_update`` as a single edit does (roles,
scope, an active owner, history, the new owner's notification); what changed is logged as a
``ChangeSet``, so its author (or an admin) can undo it. Tasks are not deleted in bulk: a task
is closed (done or cancelled), and its history stays. The Tasks list's cells (owner, due date,
status) go through the same service, one task at a time (``task_cell_set``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require
from tenure.bulk.models import ChangeKind, ChangeSet
from tenure.bulk.services import (
    BulkOutcome,
    _an_id,
    _targets,
    bulk_result,
    bulk_run_start,
    bulk_set_each,
    record_cell_set,
)
from tenure.domain.access import Action
from tenure.jobs.models import Run
from tenure.todos import services as todos
from tenure.todos.filters import TaskFilterSet
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User

TASK_BULK_FIELDS = ("owner_id", "due", "status")
"""What a bulk change of tasks may set: who does it, when, and whether it is still open."""
TASK_CELL_FIELDS = ("owner_id", "due", "status")
"""What a Tasks list cell edits in place: the same fields."""
_WORDS = {"owner_id": "owner", "due": "due date", "status": "status"}


def tasks_bulk_request_check(*, by: User, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The action and its value, checked before a run is asked for: a role that may not
    change is refused (``AccessDenied``), a wrong value is a ``ValidationError`` on its field.
    The value comes back as the run keeps it (JSON: a date as its ISO text)."""
    require(by, Action.CHANGE)
    if action != "set":
        raise ValidationError({"action": ["set (tasks are closed, not deleted)"]})
    name, value = params.get("field"), params.get("value")
    if name not in TASK_BULK_FIELDS:
        raise ValidationError({"field": [f"one of {', '.join(TASK_BULK_FIELDS)}"]})
    if name == "owner_id":
        owner = int(str(value)) if _an_id(value) else None
        if owner is None or not User.objects.filter(pk=owner, is_active=True).exists():
            raise ValidationError({"value": ["an active team member's id"]})
        return {"field": name, "value": owner}
    if name == "due":
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({"value": ["a date, as YYYY-MM-DD"]}) from None
        return {"field": name, "value": day.isoformat()}
    if value not in TaskStatus.values:
        raise ValidationError({"value": [f"one of {', '.join(TaskStatus.values)}"]})
    return {"field": name, "value": value}


def tasks_bulk_start(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    via: str,
) -> Run:
    """Ask for a bulk change of tasks as a ``bulk.tasks`` run, its request checked now (the
    same refusals the run would give, said on their fields)."""
    from tenure.bulk.tasks import BULK_TASKS

    params = tasks_bulk_request_check(by=by, action=action, params=params)
    return bulk_run_start(
        by=by, kind=BULK_TASKS, filterset=TaskFilterSet, action=action, params=params,
        filters=filters, ids=ids, via=via,
    )  # fmt: skip


def task_targets(
    *, by: User, filters: Mapping[str, Any], ids: list[int] | None
) -> tuple[list[int], list[dict[str, Any]]]:
    """The tasks a bulk change works on, decided again at run time: the Tasks list's filters
    over what ``by`` sees, narrowed to ``ids``, kept where ``by`` may change them."""
    return _targets(by, TaskFilterSet, filters, ids)


def tasks_bulk_apply(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    now: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Any]:
    """Set one field on the tasks ``task_targets`` finds, one task per transaction through
    ``task_update``: changed, unchanged, refused with the reason per task, and the change
    set Undo puts back."""
    params = tasks_bulk_request_check(by=by, action=action, params=params)
    name, value = params["field"], params["value"]
    if name == "due":
        value = date.fromisoformat(value)
    targets, refused = task_targets(by=by, filters=filters, ids=ids)
    outcome = BulkOutcome(refused=refused)
    many = f"{len(targets)} task{'s' if len(targets) != 1 else ''}"
    change_set = ChangeSet.objects.create(
        author=by, kind=ChangeKind.BULK, label=f"{_WORDS[name]} set on {many}", created_at=now
    )
    bulk_set_each(
        by=by, model=Task, targets=targets, name=name, value=value,
        update=lambda pk, changes: todos.task_update(by=by, task_id=pk, changes=changes),
        outcome=outcome, change_set=change_set, progress=progress,
    )  # fmt: skip
    return bulk_result(change_set, outcome)


@transaction.atomic
def task_cell_set(
    *, by: User, task_id: int, field: str, value: Any, now: datetime
) -> tuple[Task, ChangeSet | None]:
    """Set one field of a task from the Tasks list (``TASK_CELL_FIELDS``: its owner, due date
    or status) through ``task_update``; the change set to undo it, None when nothing changed."""
    return record_cell_set(
        by=by, model=Task, pk=task_id, field=field, value=value, allowed=TASK_CELL_FIELDS,
        update=lambda pk, changes: todos.task_update(by=by, task_id=pk, changes=changes),
        now=now,
    )  # fmt: skip
