"""The orders and tasks lists' cells edited in place, as the customers' and accounts' are
(``bulk``): GET opens the cell's input (``?cancel=1``: the cell as shown), POST saves it through
the record's service (``order_update``, ``task_update``) with the form's validation, and the
Undo toast offers it back. A refusal is shown in the cell, named for a screen reader: 200 for
htmx, which swaps only a success, 422 for a plain form post.

One flow for both lists (``CellKind``): what differs is the record, its form, its cells and
the service; the templates are shared (``web/bulk/_record_cell*.html``), each list writing
only how a value looks (``web/bulk/_<prefix>_cell_value.html``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenure.access import get_visible_or_404, may, require
from tenure.bulk.models import ChangeSet
from tenure.bulk.order_bulk import order_cell_set
from tenure.bulk.task_bulk import task_cell_set
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.orders.models import Order
from tenure.todos.models import Task
from tenure.users.models import User
from tenure.web.forms import TaskCellForm
from tenure.web.record_forms import OrderForm
from tenure.web.views._render import signed_in_user


@dataclass(frozen=True)
class CellKind:
    prefix: str  # the cells' ids and URL name: "<prefix>-cell-<id>-<cell>", web:<prefix>-cell
    label: str  # "order": "You may no longer change this order."
    queryset: Callable[[], QuerySet[Any]]
    cells: Mapping[str, str]  # the form's field -> the record's field
    form: Callable[[Any, Any], forms.Form]  # (POST data or None, record) -> the form
    save: Callable[..., tuple[Any, ChangeSet | None]]  # the service: (by, pk, field, value, now)


ORDER_CELLS = CellKind(
    prefix="order",
    label="order",
    queryset=lambda: Order.objects.select_related("customer"),
    cells={"status": "status", "amount": "amount"},
    form=lambda data, order: OrderForm(data),
    save=lambda by, pk, field, value, now: order_cell_set(
        by=by, order_id=pk, field=field, value=value, now=now
    ),
)
TASK_CELLS = CellKind(
    prefix="task",
    label="task",
    queryset=lambda: Task.objects.select_related("owner", "customer", "account"),
    cells={"owner": "owner_id", "due": "due", "status": "status"},
    form=lambda data, task: TaskCellForm(data, current_owner=task.owner_id),
    save=lambda by, pk, field, value, now: task_cell_set(
        by=by, task_id=pk, field=field, value=value, now=now
    ),
)
CELL_KINDS = {"orders.Order": ORDER_CELLS, "todos.Task": TASK_CELLS}
"""The kinds by the change rows' model, for Undo to show a cell's value again."""


def _context(kind: CellKind, record: Model, cell: str, **extra: Any) -> dict[str, Any]:
    # ``today``: a task's status reads "Overdue" past its due date, as in the list.
    return {"record": record, "prefix": kind.prefix, "cell": cell,
            "today": timezone.localdate(), **extra}  # fmt: skip


def _cell(request: HttpRequest, kind: CellKind, pk: int, name: str) -> HttpResponse:
    user = signed_in_user(request)
    if name not in kind.cells:
        raise Http404("No such cell.")
    record = get_visible_or_404(user, kind.queryset(), pk=pk)
    if request.method == "GET" and (request.GET.get("cancel") or not may(user, Action.CHANGE)):
        return render(request, "web/bulk/_record_cell.html", _context(kind, record, name))
    require(user, Action.CHANGE)  # an analyst edits nothing (403)
    record = get_visible_or_404(user, kind.queryset(), Action.CHANGE, pk=pk)
    form = kind.form(request.POST if request.method == "POST" else None, record)
    if request.method == "GET":
        form[name].initial = getattr(record, kind.cells[name])
        return _cell_form(request, kind, record, name, form, [])
    errors = _saved_or_errors(request, user, kind, record, name, form)
    if isinstance(errors, HttpResponse):
        return errors
    status = 200 if request.headers.get("HX-Request") == "true" else 422  # htmx swaps 2xx
    return _cell_form(request, kind, record, name, form, errors, status)


def _saved_or_errors(
    request: HttpRequest, user: User, kind: CellKind, record: Model, name: str, form: forms.Form
) -> HttpResponse | list[str]:
    """The cell saved through its service (its value and the Undo toast), else the words of
    the form's or the service's refusal."""
    form.is_valid()
    errors = [str(error) for error in form.errors.get(name, [])]
    if errors:
        return errors
    try:
        saved, change_set = kind.save(
            user, record.pk, kind.cells[name], form.cleaned_data[name], timezone.now()
        )
    except ValidationError as refused:
        return [" ".join(found) for found in refused.message_dict.values()]
    except (Conflict, Http404) as refused:
        return [str(refused) or f"You may no longer change this {kind.label}."]
    saved = kind.queryset().get(pk=saved.pk)
    label = str(form.fields[name].label).lower()
    context = _context(kind, saved, name, change_set=change_set,
                       message=f"Saved the {label} of {saved}.")  # fmt: skip
    return render(request, "web/bulk/_record_cell_saved.html", context)


def _cell_form(
    request: HttpRequest,
    kind: CellKind,
    record: Model,
    name: str,
    form: forms.Form,
    errors: list[str],
    status: int = 200,
) -> HttpResponse:
    """The cell's input, named for a screen reader, with its error beside it."""
    base = f"{kind.prefix}-cell-{record.pk}-{name}"
    attrs: dict[str, str | bool] = {
        "id": f"{base}-input",
        "aria-label": f"{form.fields[name].label} of {record}",
        "data-cell-input": "",
    }
    if errors:
        attrs |= {"aria-invalid": "true", "aria-describedby": f"{base}-error"}
    widget = form[name].as_widget(attrs=attrs)
    context = _context(kind, record, name, widget=widget, errors=errors)
    return render(request, "web/bulk/_record_cell_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def order_cell(request: HttpRequest, order_id: int, name: str) -> HttpResponse:
    """An order's status or amount, through the order form's validation and
    ``order_update`` (a refund reaches the lifecycle as ``order.refunded``)."""
    return _cell(request, ORDER_CELLS, order_id, name)


@login_required
@require_http_methods(["GET", "POST"])
def task_cell(request: HttpRequest, task_id: int, name: str) -> HttpResponse:
    """A task's owner, due date or status, through ``task_update`` (a new owner is told)."""
    return _cell(request, TASK_CELLS, task_id, name)


def cells_undone(change_set: ChangeSet) -> list[tuple[Model, str, str]]:
    """The orders' and tasks' cells an undone edit changed, as (record, prefix, cell), for the
    Undo toast to show them again in place."""
    shown = []
    for row in change_set.rows.filter(model__in=CELL_KINDS):
        kind = CELL_KINDS[row.model]
        names = {field: cell for cell, field in kind.cells.items()}
        record = kind.queryset().filter(pk=row.object_id).first()
        if record is not None and row.field in names:
            shown.append((record, kind.prefix, names[row.field]))
    return shown
