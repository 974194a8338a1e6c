"""The customers, accounts, tasks and orders lists' bulk bars, and the customers' and accounts'
cells edited in place (the orders' and tasks' cells: ``cells``).

A bulk action names rows on the page (``ids``) or every row of the list's filters (``all``);
the run decides again, from the filters and the person's scope, which customers it touches
(``tenure.bulk.services.bulk_targets``), so an id sent from the page is never trusted beyond
it. The run is a ``tenure.jobs`` run: the page polls its progress and shows its counts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import get_visible_or_404, may, require
from tenure.access.filtering import InvalidFilters
from tenure.bulk.account_bulk import accounts_bulk_start
from tenure.bulk.order_bulk import orders_bulk_start
from tenure.bulk.selectors import accounts_export_csv, bulk_progress, orders_export_chosen
from tenure.bulk.services import (
    ACCOUNT_BULK_FIELDS,
    BULK_FIELDS,
    BULK_MAX_IDS,
    account_cell_set,
    customer_cell_set,
    customers_bulk_start,
)
from tenure.bulk.task_bulk import TASK_BULK_FIELDS, tasks_bulk_start
from tenure.bulk.tasks import BULK, BULK_ACCOUNTS, BULK_ORDERS, BULK_TASKS
from tenure.customers.filters import CustomerFilterSet
from tenure.customers.models import Account, Customer
from tenure.customers.selectors import customers_chosen
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.transfer.services import customers_export_csv
from tenure.web.record_forms import AccountForm, CustomerForm
from tenure.web.views._render import signed_in_user
from tenure.web.views.exports import _attachment, _refused

CELLS = {"owner": "owner_id", "category": "category", "channel": "channel", "email": "email",
         "phone": "phone"}  # fmt: skip
"""The cells edited in place: the edit form's field -> the customer's field."""


class BadRequest(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__(str(fields))


def _scope(request: HttpRequest, noun: str = "customer") -> tuple[QueryDict, list[int] | None]:
    """The list's filters (its query string, sent along) and the rows chosen: None for
    "every row matching the filters"."""
    data = request.POST if request.method == "POST" else request.GET
    filters = QueryDict(data.get("query", ""))
    if data.get("all") == "1":
        return filters, None
    raw = data.getlist("ids")
    if not raw:
        raise BadRequest({"ids": [f"choose at least one {noun}, or every one of the list"]})
    if len(raw) > BULK_MAX_IDS or not all(value.isdigit() and len(value) < 19 for value in raw):
        raise BadRequest({"ids": [f"up to {BULK_MAX_IDS:,} {noun} ids"]})
    return filters, [int(value) for value in raw]


def _operation(
    post: QueryDict, fields: tuple[str, ...] = BULK_FIELDS
) -> tuple[str, dict[str, Any]]:
    """What the bar asks: ``operation`` is a field to set, ``segment`` or ``delete``."""
    operation = post.get("operation", "")
    if operation in fields:
        value = post.get(operation if operation.endswith("_id") else "value", "")
        return "set", {"field": operation, "value": value}
    if operation == "segment" and fields == BULK_FIELDS:
        return "segment", {"segment_id": post.get("segment_id", "")}
    if operation == "delete":
        return "delete", {}
    raise BadRequest({"operation": ["choose what to do"]})


@login_required
@require_POST
def customers_bulk(request: HttpRequest) -> HttpResponse:
    """Start a bulk action; its progress card (htmx) or page."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    try:
        filters, ids = _scope(request)
        action, params = _operation(request.POST)
        run = customers_bulk_start(
            by=user, action=action, params=params, filters=filters.dict(), ids=ids, via="web"
        )
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except ValidationError as invalid:
        return _refusal(request, invalid.message_dict)
    return _started(request, run.pk, BULK, "web:customers-bulk-run")


def _refusal(request: HttpRequest, fields: dict[str, list[str]]) -> HttpResponse:
    # 200 for htmx, which swaps only a success; the words say it was refused.
    status = 200 if request.headers.get("HX-Request") == "true" else 422
    return render(request, "web/bulk/_refused.html", {"fields": fields}, status=status)


def _progress(request: HttpRequest, run_id: int, kind: str = BULK) -> HttpResponse:
    found = bulk_progress(by=signed_in_user(request), run_id=run_id, kind=kind)
    if found is None:
        raise Http404("No such bulk change.")
    response = render(request, "web/bulk/_progress.html", {"bulk": found})
    if found.finished and request.method == "GET":
        response["HX-Trigger"] = "tenure-list-changed"  # bulk.js shows the rows as they are now
    return response


@login_required
@require_GET
def customers_bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """A bulk run's progress: the card alone for htmx's polling, else its page."""
    return _run_page(request, run_id, BULK, "customers")


def _run_page(request: HttpRequest, run_id: int, kind: str, section: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        return _progress(request, run_id, kind)
    found = bulk_progress(by=signed_in_user(request), run_id=run_id, kind=kind)
    if found is None:
        raise Http404("No such bulk change.")
    return render(request, "web/bulk/run.html", {"bulk": found, "section": section})


def _started(request: HttpRequest, run_id: int, kind: str, run_page: str) -> HttpResponse:
    """A bulk run just asked for: its progress card for htmx, else its page."""
    if request.headers.get("HX-Request") == "true":
        return _progress(request, run_id, kind)
    return redirect(run_page, run_id=run_id)


@login_required
@require_GET
def customers_bulk_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The chosen rows (or every row of the filters) as the list's CSV export."""
    user = signed_in_user(request)
    try:
        filters, ids = _scope(request)
        customers = customers_chosen(filters=CustomerFilterSet.of(user, filters))
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except InvalidFilters as refused:
        return _refused(refused)
    if ids is not None:
        customers = customers.filter(pk__in=ids)
    return _attachment(customers_export_csv(by=user, customers=customers), "customers")


# --- a cell edited in place ---------------------------------------------------------------------


def _cell_context(customer: Customer, name: str, **extra: Any) -> dict[str, Any]:
    return {"customer": customer, "cell": name, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def customer_cell(request: HttpRequest, customer_id: int, name: str) -> HttpResponse:
    """GET: the cell's input (``?cancel=1``: the cell as shown); POST: save it through the
    customer's service, with the edit form's validation; its error shown in the cell."""
    user = signed_in_user(request)
    if name not in CELLS:
        raise Http404("No such cell.")
    queryset = Customer.objects.select_related("account", "owner")
    customer = get_visible_or_404(user, queryset, pk=customer_id)
    if request.method == "GET" and (request.GET.get("cancel") or not may(user, Action.CHANGE)):
        return render(request, "web/bulk/_cell.html", _cell_context(customer, name))
    require(user, Action.CHANGE)  # an analyst edits nothing (403)
    customer = get_visible_or_404(user, queryset, Action.CHANGE, pk=customer_id)
    form = CustomerForm(request.POST or None, user=user, current=customer.account)
    if request.method == "GET":
        initial = customer.owner_id if name == "owner" else getattr(customer, name)
        return _cell_form(request, customer, name, form, initial, [])
    form.is_valid()
    errors = [str(error) for error in form.errors.get(name, [])]
    if not errors:
        try:
            customer, change_set = customer_cell_set(
                by=user, customer_id=customer.pk, field=CELLS[name],
                value=form.cleaned_data[name], now=timezone.now(),
            )  # fmt: skip
        except ValidationError as refused:
            errors = [" ".join(found) for found in refused.message_dict.values()]
        except (Conflict, Http404) as refused:
            errors = [str(refused) or "You may no longer change this customer."]
        else:
            customer = queryset.get(pk=customer.pk)
            message = f"Saved the {name} of {customer}."
            context = _cell_context(customer, name, change_set=change_set, message=message)
            return render(request, "web/bulk/_cell_saved.html", context)
    return _cell_form(request, customer, name, form, None, errors)


def _cell_form(
    request: HttpRequest,
    customer: Customer,
    name: str,
    form: CustomerForm,
    initial: Any,
    errors: list[str],
) -> HttpResponse:
    """The cell's input, named for a screen reader, with its error beside it."""
    field = form[name]
    if initial is not None:
        field.initial = initial
    attrs: dict[str, str | bool] = {
        "id": f"cell-input-{customer.pk}-{name}",
        "aria-label": f"{form.fields[name].label} of {customer}",
        "data-cell-input": "",
    }
    if errors:
        attrs |= {"aria-invalid": "true", "aria-describedby": f"cell-error-{customer.pk}-{name}"}
    context = _cell_context(customer, name, widget=field.as_widget(attrs=attrs), errors=errors)
    return render(request, "web/bulk/_cell_form.html", context)


# --- the accounts list: the same bar and cells ---------------------------------------------------

ACCOUNT_CELLS = {"owner": "owner_id", "industry": "industry", "size_band": "size_band"}
"""The accounts list's cells edited in place: the edit form's field -> the account's field."""


@login_required
@require_POST
def accounts_bulk(request: HttpRequest) -> HttpResponse:
    """Start a bulk action on accounts; its progress card (htmx) or page."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    try:
        filters, ids = _scope(request, "account")
        action, params = _operation(request.POST, ACCOUNT_BULK_FIELDS)
        if action == "set" and params["field"] in ("size_band", "budget_band"):
            params["value"] = request.POST.get(params["field"], "")  # each band its own select
        run = accounts_bulk_start(
            by=user, action=action, params=params, filters=filters.dict(), ids=ids, via="web"
        )
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except ValidationError as invalid:
        return _refusal(request, invalid.message_dict)
    return _started(request, run.pk, BULK_ACCOUNTS, "web:accounts-bulk-run")


@login_required
@require_GET
def accounts_bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """An accounts bulk run's progress: the card alone for htmx's polling, else its page."""
    return _run_page(request, run_id, BULK_ACCOUNTS, "accounts")


@login_required
@require_GET
def accounts_bulk_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The chosen accounts (or every row of the filters) as CSV."""
    user = signed_in_user(request)
    try:
        filters, ids = _scope(request, "account")
        export = accounts_export_csv(by=user, filters=filters, ids=ids)
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except InvalidFilters as refused:
        return _refused(refused)
    return _attachment(export, "accounts")


@login_required
@require_http_methods(["GET", "POST"])
def account_cell(request: HttpRequest, account_id: int, name: str) -> HttpResponse:
    """``customer_cell`` for an account: owner, industry or size, through the account edit
    form's validation and ``account_update``; an Undo toast once saved."""
    user = signed_in_user(request)
    if name not in ACCOUNT_CELLS:
        raise Http404("No such cell.")
    queryset = Account.objects.select_related("owner")
    account = get_visible_or_404(user, queryset, pk=account_id)
    context: dict[str, Any] = {"account": account, "cell": name}
    if request.method == "GET" and (request.GET.get("cancel") or not may(user, Action.CHANGE)):
        return render(request, "web/bulk/_account_cell.html", context)
    require(user, Action.CHANGE)  # an analyst edits nothing (403)
    account = get_visible_or_404(user, queryset, Action.CHANGE, pk=account_id)
    form = AccountForm(request.POST or None, initial={"owner": account.owner_id})
    errors: list[str] = []
    if request.method == "POST":
        form.is_valid()
        errors = [str(error) for error in form.errors.get(name, [])]
        if not errors:
            try:
                account, change_set = account_cell_set(
                    by=user, account_id=account.pk, field=ACCOUNT_CELLS[name],
                    value=form.cleaned_data[name], now=timezone.now(),
                )  # fmt: skip
            except ValidationError as refused:
                errors = [" ".join(found) for found in refused.message_dict.values()]
            except (Conflict, Http404) as refused:
                errors = [str(refused) or "You may no longer change this account."]
            else:
                account = queryset.get(pk=account.pk)
                label = form.fields[name].label
                context = {"account": account, "cell": name, "change_set": change_set,
                           "message": f"Saved the {str(label).lower()} of {account}."}  # fmt: skip
                return render(request, "web/bulk/_account_cell_saved.html", context)
    field = form[name]
    if request.method == "GET":
        field.initial = account.owner_id if name == "owner" else getattr(account, name)
    attrs: dict[str, str | bool] = {
        "id": f"account-cell-input-{account.pk}-{name}",
        "aria-label": f"{form.fields[name].label} of {account}",
        "data-cell-input": "",
    }
    if errors:
        attrs |= {
            "aria-invalid": "true",
            "aria-describedby": f"account-cell-error-{account.pk}-{name}",
        }
    context |= {"account": account, "widget": field.as_widget(attrs=attrs), "errors": errors}
    return render(request, "web/bulk/_account_cell_form.html", context)


_TASK_VALUES = {"owner_id": "owner_id", "due": "due", "status": "new_status"}
"""The tasks bar's input for each field it sets."""


@login_required
@require_POST
def tasks_bulk(request: HttpRequest) -> HttpResponse:
    """Start a bulk change of tasks (reassign, reschedule, close); its progress card or page."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    try:
        filters, ids = _scope(request, "task")
        operation = request.POST.get("operation", "")
        if operation not in TASK_BULK_FIELDS:
            raise BadRequest({"operation": ["choose what to do"]})
        params = {"field": operation, "value": request.POST.get(_TASK_VALUES[operation], "")}
        run = tasks_bulk_start(
            by=user, action="set", params=params, filters=filters.dict(), ids=ids, via="web"
        )
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except ValidationError as invalid:
        return _refusal(request, invalid.message_dict)
    return _started(request, run.pk, BULK_TASKS, "web:tasks-bulk-run")


@login_required
@require_GET
def tasks_bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """A tasks bulk run's progress: the card alone for htmx's polling, else its page."""
    return _run_page(request, run_id, BULK_TASKS, "tasks")


# --- the orders list: its status for many orders, and their CSV ----------------------------------


@login_required
@require_POST
def orders_bulk(request: HttpRequest) -> HttpResponse:
    """Start a bulk change of orders' status (completed, refunded, cancelled); its progress
    card or page."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    try:
        filters, ids = _scope(request, "order")
        if request.POST.get("operation", "") != "status":
            raise BadRequest({"operation": ["choose what to do"]})
        params = {"field": "status", "value": request.POST.get("new_status", "")}
        run = orders_bulk_start(
            by=user, action="set", params=params, filters=filters.dict(), ids=ids, via="web"
        )
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except ValidationError as invalid:
        return _refusal(request, invalid.message_dict)
    return _started(request, run.pk, BULK_ORDERS, "web:orders-bulk-run")


@login_required
@require_GET
def orders_bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """An orders bulk run's progress: the card alone for htmx's polling, else its page."""
    return _run_page(request, run_id, BULK_ORDERS, "orders")


@login_required
@require_GET
def orders_bulk_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The chosen orders (or every row of the filters) as the orders export's CSV."""
    user = signed_in_user(request)
    try:
        filters, ids = _scope(request, "order")
        export = orders_export_chosen(by=user, filters=filters, ids=ids)
    except BadRequest as bad:
        return _refusal(request, bad.fields)
    except InvalidFilters as refused:
        return _refused(refused)
    return _attachment(export, "orders")
