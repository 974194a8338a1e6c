"""The tasks list's filters and sort, declared once for the Tasks page and the API
(``tenure.access.filtering``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from tenure.access.filtering import IdFilter, ListFilterSet, SortFilter
from tenure.todos.models import Task, TaskStatus

TASK_VIEWS = {"mine": "My tasks", "overdue": "Overdue", "all": "All I may see"}
# What the list may be sorted by: the name in the URL (the column's) -> the columns. Without a
# sort the list keeps its own order (open first, by due date: ``selectors.task_list``).
TASK_SORTS: dict[str, tuple[str, ...]] = {
    "title": ("title", "id"),
    "owner": ("owner__first_name", "owner__last_name", "owner__username", "id"),
    "due": ("due", "id"),
    "created": ("created_at", "id"),
    "completed": ("completed_at", "id"),
}


class TaskFilterSet(ListFilterSet):
    view = django_filters.ChoiceFilter(
        choices=list(TASK_VIEWS.items()),
        method="narrow_to_view",
        help_text="mine: the caller's open tasks; overdue: open and past due",
    )
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    customer_id = IdFilter()
    sort = SortFilter(sorts=TASK_SORTS, nullable=frozenset({"completed_at"}))

    today: date | None = None  # "overdue" is before this day; default: today in the business

    class Meta(ListFilterSet.Meta):
        model = Task
        fields: list[str] = []

    def narrow_to_view(self, tasks: QuerySet[Task], name: str, view: str) -> QuerySet[Task]:
        if view == "mine":
            return tasks.filter(owner=self.user, status=TaskStatus.OPEN)
        if view == "overdue":
            today = self.today or timezone.localdate()
            return tasks.filter(status=TaskStatus.OPEN, due__lt=today)
        return tasks

    def view_chosen(self) -> Any:
        return self.form.cleaned_data.get("view") if self.is_valid() else None
