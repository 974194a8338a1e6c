"""Writes of tasks. Every way of creating one (by hand, from the at-risk list, by a rule, later
by a playbook) ends in ``task_create``, under the same checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.access.records import (
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.services import check_references
from tenure.todos.events import task_assigned_record
from tenure.todos.models import Task, TaskComment, TaskPriority, TaskSource, TaskStatus
from tenure.users.models import User

TASK_CHANGES = frozenset({"title", "body", "owner_id", "due", "priority", "status"})


def _owner_check(owner: User | int | None) -> User:
    owner_id = owner.pk if isinstance(owner, User) else owner
    found = User.objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
    if found is None:
        raise ValidationError({"owner": ["a task needs an active team member as its owner"]})
    return found


@transaction.atomic
def task_create(
    *,
    by: User | None,
    title: str,
    owner: User | int | None,
    due: date,
    priority: str = TaskPriority.NORMAL,
    customer_id: int | None = None,
    account_id: int | None = None,
    source: str = TaskSource.MANUAL,
    body: str = "",
    rule: str = "",
    source_key: str | None = None,
    interaction_id: int | None = None,
) -> Task:
    """Create a task about a customer or account ``by`` may change (or about nothing).

    Raises ``ValidationError`` per field (an empty title, an unknown priority, an inactive
    owner, a customer or account ``by`` may not change) and ``AccessDenied`` for a role that
    may not change anything.
    """
    require_change(by)
    check_references(by, {"customer_id": customer_id, "account_id": account_id})
    task = Task(
        title=title.strip(), body=body.strip(), owner=_owner_check(owner), due=due,
        priority=priority, customer_id=customer_id, account_id=account_id, source=source,
        rule=rule, source_key=source_key, interaction_id=interaction_id, created_by=by,
    )  # fmt: skip
    record_save(task)
    task_assigned_record(task_id=task.pk, owner_id=task.owner_id, customer_id=customer_id)
    return task


@transaction.atomic
def task_update(*, by: User | None, task_id: int, changes: Mapping[str, Any]) -> Task:
    """Change a task ``by`` may change (its own, or about their customers or accounts)."""
    reject_unknown_fields(changes, TASK_CHANGES)
    task = record_for_change(by, Task, task_id)
    owner_before = task.owner_id
    for name, value in changes.items():
        if name == "owner_id":
            value = _owner_check(value).pk
        setattr(task, name, value)
    task.completed_at = (
        None if task.status == TaskStatus.OPEN else task.completed_at or timezone.now()
    )
    record_save(task)
    if task.owner_id != owner_before:  # reassigned: the new owner hears of it
        task_assigned_record(task_id=task.pk, owner_id=task.owner_id, customer_id=task.customer_id)
    return task


def task_complete(*, by: User | None, task_id: int) -> Task:
    return task_update(by=by, task_id=task_id, changes={"status": TaskStatus.DONE})


@transaction.atomic
def task_comment_add(*, by: User | None, task_id: int, body: str) -> TaskComment:
    task = record_for_change(by, Task, task_id)
    if not body.strip():
        raise ValidationError({"body": ["write something"]})
    comment = TaskComment(task=task, author=by, body=body.strip())
    record_save(comment)
    return comment
