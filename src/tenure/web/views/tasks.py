"""Tasks: "My tasks", "Overdue" and "All I may see", the create form, and a task's page with
its status and comments (added in place with htmx).

Reads through ``tenure.todos.selectors.task_list`` narrowed and sorted by ``TaskFilterSet``
(view, status, customer, sort: the API's filters too) and ``tenure.access`` (a success manager
sees their own tasks and the tasks about their customers and accounts; any other task is 404);
writes through ``tenure.todos.services``, which refuse an analyst (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from tenure.access import get_visible_or_404, may, require
from tenure.customers.selectors import owner_choices
from tenure.domain.access import Action
from tenure.notifications.selectors import team_member_label, team_members
from tenure.todos import selectors, services
from tenure.todos.filters import TASK_VIEWS, TaskFilterSet
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User
from tenure.web.forms import TaskCommentForm, TaskForm, TaskPlanForm, TaskStatusForm
from tenure.web.views._render import errors_onto_form, signed_in_user, wants_fragment
from tenure.web.views.empty_state import empty_state
from tenure.web.views.filtering import filtered_page
from tenure.web.views.list_views import columns_context, default_view_redirect, views_context
from tenure.workspace.columns import COLUMNS_PARAM

TASKS_PER_PAGE = 50
# The service's field names -> the form's.
_FORM_FIELDS = {"owner": "owner", "customer_id": "customer", "account_id": "account"}


@login_required
@require_http_methods(["GET", "POST"])
def tasks(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and (default := default_view_redirect(request, "tasks")):
        return default
    user = signed_in_user(request)
    query = request.GET.copy()
    query.setdefault("view", "mine")
    if request.method == "POST":
        require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
        form = TaskForm(request.POST)
        task = _create(user, form) if form.is_valid() else None
        if task is not None:
            messages.success(request, f"Task “{task.title}” created.")
            return redirect("web:task", task_id=task.pk)
    else:
        form = TaskForm.blank(
            customer=_int(request.GET.get("customer")), account=_int(request.GET.get("account"))
        )
    today = timezone.localdate()
    filters = TaskFilterSet.of(user, query)
    filters.today = today
    found = filtered_page(request, filters, selectors.task_list, per_page=TASKS_PER_PAGE)
    page = found.page
    if not found.values["sort"] and found.values["view"] in ("mine", "overdue"):
        found.values["sort"] = "due"  # their own order: the due column's header says so
    columns = columns_context(request, "tasks")
    list_query = query.copy()  # the bulk bar's filters: not the columns
    list_query.pop(COLUMNS_PARAM, None)
    may_change = may(user, Action.CHANGE)
    context: dict[str, Any] = {
        "view": found.values["view"],
        "views": TASK_VIEWS,
        "filters": found.values,
        "filter_errors": {**found.errors, **columns["columns_error"]},
        "statuses": TaskStatus.choices,
        "page": page,
        "tasks": page.items,
        "today": today,
        "form": form,
        "owners": owner_choices(user=user),
        "may_change": may_change,
        "open_form": request.method == "POST" or "customer" in request.GET,
        "section": "tasks",
        "list_query": list_query.urlencode(),  # the bulk bar's filters, kept equal by bulk.js
        "table_span": len(columns["columns"]) + (1 if may_change else 0),  # + the checkbox
        **columns,
        **views_context(request, "tasks"),
    }
    if not page.items:  # nothing at all yet: ways in, not "nothing for you"
        context["empty_state"] = empty_state(user=user, list_name="tasks")
    if request.method == "GET" and wants_fragment(request, "results"):
        context["fragment"] = True  # htmx swaps 2xx only: the filters' errors show in the rows
        return render(request, "web/tasks/_results.html", context)
    status = 422 if form.errors else found.status
    return render(request, "web/tasks/list.html", context, status=status)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _create(user: User, form: TaskForm) -> Task | None:
    data = form.cleaned_data
    try:
        return services.task_create(
            by=user,
            title=data["title"],
            body=data["body"],
            owner=data["owner"] or user,
            due=data["due"],
            priority=data["priority"],
            customer_id=data["customer"],
            account_id=data["account"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {_FORM_FIELDS.get(name, name): found for name, found in error.message_dict.items()}
            )
        errors_onto_form(form, error)
        return None


def _task_or_404(user: User, task_id: int) -> Task:
    queryset = Task.objects.select_related("owner", "customer", "account", "created_by")
    return get_visible_or_404(user, queryset, pk=task_id)


def _task_page(
    request: HttpRequest,
    task: Task,
    comment_form: TaskCommentForm,
    status: int = 200,
    plan_form: TaskPlanForm | None = None,
) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "task": task,
        "plan_form": plan_form
        or TaskPlanForm(initial={"owner": team_member_label(task.owner), "due": task.due}),
        "team": [team_member_label(member) for member in team_members()],
        "comments": task.comments.select_related("author"),
        "comment_form": comment_form,
        "may_change": may(user, Action.CHANGE),
        "overdue": task.status == TaskStatus.OPEN and task.due < timezone.localdate(),
        "section": "tasks",
    }
    return render(request, "web/tasks/detail.html", context, status=status)


@login_required
@require_GET
def task(request: HttpRequest, task_id: int) -> HttpResponse:
    found = _task_or_404(signed_in_user(request), task_id)
    return _task_page(request, found, TaskCommentForm())


@login_required
@require_POST
def task_status(request: HttpRequest, task_id: int) -> HttpResponse:
    """Complete, cancel or reopen a task (403 for an analyst, 404 outside one's book)."""
    user = signed_in_user(request)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose done, cancelled or open.")
        return redirect("web:task", task_id=task_id)
    changed = services.task_update(
        by=user, task_id=task_id, changes={"status": form.cleaned_data["status"]}
    )
    words = {TaskStatus.DONE: "done", TaskStatus.CANCELLED: "cancelled", TaskStatus.OPEN: "open"}
    messages.success(request, f"The task is {words[TaskStatus(changed.status)]}.")
    if request.POST.get("back") == "my-day":  # done from My day: stay on the worklist
        return redirect("web:my-day")
    return redirect("web:task", task_id=task_id)


@login_required
@require_POST
def task_plan(request: HttpRequest, task_id: int) -> HttpResponse:
    """Reassign and reschedule a task (403 for an analyst, 404 outside one's book); the new
    owner is told (``task.assigned``, followed by ``tenure.notifications``)."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    form = TaskPlanForm(request.POST)
    if form.is_valid():
        try:
            plan = {"owner_id": form.cleaned_data["owner"].pk, "due": form.cleaned_data["due"]}
            changed = services.task_update(by=user, task_id=task_id, changes=plan)
        except ValidationError as error:
            errors_onto_form(form, ValidationError({"owner": error.messages}))
        else:
            messages.success(
                request, f"The task is {changed.owner}'s, due {changed.due:%b} {changed.due.day}."
            )
            return redirect("web:task", task_id=task_id)
    found = _task_or_404(user, task_id)
    return _task_page(request, found, TaskCommentForm(), status=422, plan_form=form)


@login_required
@require_POST
@vary_on_headers("HX-Request", "HX-Target")
def task_comment(request: HttpRequest, task_id: int) -> HttpResponse:
    user = signed_in_user(request)
    form = TaskCommentForm(request.POST)
    added = False
    if form.is_valid():
        try:
            services.task_comment_add(by=user, task_id=task_id, body=form.cleaned_data["body"])
            added = True
        except ValidationError as error:
            errors_onto_form(form, error)
    else:
        require(user, Action.CHANGE)  # the same refusal as the service's for an empty comment
    found = _task_or_404(user, task_id)
    if wants_fragment(request, "comments"):
        context = {
            "task": found,
            "comments": found.comments.select_related("author"),
            "comment_form": TaskCommentForm() if added else form,
            "may_change": True,
            "added": added,
        }
        return render(request, "web/tasks/_comments.html", context)
    if added:
        return redirect(reverse("web:task", args=[task_id]) + "#comments")
    return _task_page(request, found, form, status=422)
