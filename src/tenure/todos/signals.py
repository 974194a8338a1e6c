"""What a person's export and erasure do to the tasks about them (``tenure.privacy``)."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export includes the tasks about them, with their comments."""
    from django.forms.models import model_to_dict

    from tenure.todos.models import Task

    def plain(record: Any) -> dict[str, Any]:
        return {**model_to_dict(record), "id": record.pk}

    tasks = Task.objects.filter(customer=customer).prefetch_related("comments").order_by("id")
    return {
        "tasks": [
            {**plain(task), "comments": [plain(c) for c in task.comments.all()]} for task in tasks
        ]
    }


ERASED_TASK = "Follow-up (person erased)"


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    """Tasks about an erased person lose their words (titles name the person; comments may);
    the tasks themselves stay, as the work done is the business's own record."""
    from tenure.todos.models import Task, TaskComment

    tasks = list(Task.objects.filter(customer=customer))
    comments = list(TaskComment.objects.filter(task__in=tasks))
    for task in tasks:
        task.title, task.body = ERASED_TASK, ""
    Task.objects.bulk_update(tasks, ["title", "body"])
    TaskComment.objects.filter(pk__in=[c.pk for c in comments]).update(body="[erased]")
    return {"tasks": len(tasks), "task_comments": len(comments)}, [*tasks, *comments]
