"""Reads of tasks, under ``visible`` (a success manager: theirs and their customers')."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.db.models import Case, QuerySet, Value, When

from tenure.access import visible
from tenure.access.filtering import InvalidFilters
from tenure.analytics.errors import InvalidInputError
from tenure.todos.filters import TaskFilterSet
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User


def task_list(*, filters: TaskFilterSet) -> QuerySet[Task]:
    """The tasks ``filters`` choose among those its user may see (a success manager: theirs
    and their customers'), in the sort asked for, else by due date; in every view but "mine"
    and "overdue" open ones first. Raises ``InvalidFilters``."""
    tasks = filters.filtered().select_related("owner", "customer", "account")
    if filters.sort_columns():
        return tasks  # ordered by the sort's columns, which end with the id
    if filters.view_chosen() in ("mine", "overdue"):
        return tasks.order_by("due", "id")
    return tasks.order_by(
        Case(When(status=TaskStatus.OPEN, then=Value(0)), default=Value(1)), "due", "id"
    )


def task_search(*, user: User, terms: list[str]) -> QuerySet[Task]:
    """The tasks the user may see whose title holds every word: open ones first, by due."""
    tasks = visible(user, Task)
    for term in terms:
        tasks = tasks.filter(title__icontains=term)
    return tasks.order_by(
        Case(When(status=TaskStatus.OPEN, then=Value(0)), default=Value(1)), "due", "id"
    )


def tasks_for(
    *,
    user: User,
    scope: Literal["mine", "overdue", "all"] = "mine",
    today: date | None = None,
) -> QuerySet[Task]:
    """``mine``: the user's open tasks; ``overdue``: open tasks past due that the user may see;
    ``all``: every visible task, open first (``task_list`` with that view alone)."""
    filters = TaskFilterSet.of(user, {"view": scope})
    filters.today = today
    try:
        return task_list(filters=filters)
    except InvalidFilters:
        raise InvalidInputError("scope", f"must be mine, overdue or all, got {scope!r}") from None
