"""What the lists share: the columns chosen in the URL (``?cols=``), the saved views menu
(save the current list as..., rename, share, delete) and the role's default view, applied
when a list is opened with no query. The saved views are written through
``tenure.workspace.services``; these views parse, call one service, and redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tenure.access import may, sees_all
from tenure.domain.access import Action, Role
from tenure.web.views._render import signed_in_user
from tenure.workspace.columns import (
    COLUMNS,
    COLUMNS_PARAM,
    Column,
    ColumnsRefused,
    columns_chosen,
    default_columns,
)
from tenure.workspace.models import SavedView
from tenure.workspace.selectors import saved_view_default, saved_view_detail, saved_view_list
from tenure.workspace.services import (
    NOT_KEPT,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)

LIST_PAGES = {
    "customers": "web:customers", "accounts": "web:accounts", "orders": "web:orders",
    "tasks": "web:tasks",
}  # fmt: skip
SAVED_PARAM = "saved"
ROLE_CHOICES = [(role.value, role.value.replace("_", " ").capitalize()) for role in Role]


def default_view_redirect(request: HttpRequest, list_name: str) -> HttpResponse | None:
    """A list opened bare (no query at all) opens the role's default view, if one is set, by
    its URL, so that the address shows what is applied and reproduces it."""
    if request.GET:
        return None
    view = saved_view_default(user=signed_in_user(request), list_name=list_name)
    return redirect(view_url(view)) if view is not None else None


def view_url(view: SavedView) -> str:
    query = QueryDict(view.querystring, mutable=True)
    query[SAVED_PARAM] = str(view.pk)
    return f"{reverse(LIST_PAGES[view.list])}?{query.urlencode()}"


def current_query(request: HttpRequest) -> str:
    """The list's query as a view keeps it: no page, no saved view's id."""
    query = request.GET.copy()
    for key in NOT_KEPT:
        query.pop(key, None)
    return query.urlencode()


@dataclass(frozen=True)
class ColumnChoice:
    column: Column
    shown: bool
    toggle: str  # the query with this column shown or hidden
    earlier: str = ""  # the query with it one place earlier ("" when it is first or hidden)
    later: str = ""


def _with_columns(request: HttpRequest, keys: list[str]) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query[COLUMNS_PARAM] = ",".join(keys)
    return query.urlencode()


def columns_context(request: HttpRequest, list_name: str) -> dict[str, Any]:
    """The columns to render (the URL's, else the role's defaults), the chooser's links, and
    the refusal of an unknown column (shown with the filters' errors; the defaults apply)."""
    role = str(getattr(request.user, "role", ""))
    keys = list(default_columns(list_name, role))
    error = ""
    asked = request.GET.get(COLUMNS_PARAM)
    if asked is not None:
        try:
            keys = [column.key for column in columns_chosen(list_name, asked)]
        except ColumnsRefused as refused:
            error = refused.reason
    offered = {column.key: column for column in COLUMNS[list_name]}
    shown = [offered[key] for key in keys]
    choices = []
    for place, column in enumerate(shown):
        rest = [key for key in keys if key != column.key]
        earlier = later = ""
        if place > 0:
            earlier = _with_columns(
                request, [*keys[: place - 1], column.key, keys[place - 1], *keys[place + 1 :]]
            )
        if place < len(keys) - 1:
            later = _with_columns(
                request, [*keys[:place], keys[place + 1], column.key, *keys[place + 2 :]]
            )
        toggle = _with_columns(request, rest) if rest else ""
        choices.append(ColumnChoice(column, True, toggle, earlier, later))
    for column in COLUMNS[list_name]:
        if column.key not in keys:
            choices.append(ColumnChoice(column, False, _with_columns(request, [*keys, column.key])))
    return {
        "columns": shown,
        "column_choices": choices,
        "columns_text": ",".join(keys),
        "columns_asked": asked is not None,  # the role's defaults stay out of the URL
        "columns_error": {COLUMNS_PARAM: [error]} if error else {},
    }


def views_context(request: HttpRequest, list_name: str) -> dict[str, Any]:
    """The views menu: one's own and the shared views of the list, the one open (``?saved=``),
    and what the user may do with them."""
    user = signed_in_user(request)
    views = list(saved_view_list(user=user, list_name=list_name))
    current = None
    raw = request.GET.get(SAVED_PARAM, "")
    if raw.isdigit():
        current = next((view for view in views if str(view.pk) == raw), None)
    may_change_all = sees_all(user, Action.CHANGE)
    return {
        "saved_views": [(view, view_url(view)) for view in views],
        "saved_view": current,
        "saved_view_changeable": current is not None
        and (current.owner_id == user.pk or may_change_all),
        "view_list": list_name,
        "view_query": current_query(request),
        "may_share_views": may(user, Action.CHANGE),
        "may_set_default_views": may_change_all,
        "role_choices": ROLE_CHOICES,
    }


def _back(request: HttpRequest, list_name: str) -> str:
    query = request.POST.get("querystring", "")
    url = reverse(LIST_PAGES.get(list_name, "web:customers"))
    return f"{url}?{query}" if query else url


def _refused(request: HttpRequest, error: ValidationError, list_name: str) -> HttpResponse:
    context = {"errors": error.message_dict, "back": _back(request, list_name)}
    return render(request, "web/workspace/refused.html", context, status=422)


@login_required
@require_POST
def saved_view_new(request: HttpRequest) -> HttpResponse:
    list_name = request.POST.get("list", "")
    try:
        view = saved_view_create(
            by=signed_in_user(request),
            list_name=list_name,
            name=request.POST.get("name", ""),
            querystring=request.POST.get("querystring", ""),
            shared=request.POST.get("shared") == "on",
            default_for_role=request.POST.get("default_for_role", ""),
        )
    except ValidationError as error:
        return _refused(request, error, list_name)
    messages.success(request, f"View “{view.name}” saved.")
    return redirect(view_url(view))


@login_required
@require_POST
def saved_view_change(request: HttpRequest, view_id: int) -> HttpResponse:
    """Rename, share or unshare, make a role's default, or keep the list's current query."""
    user = signed_in_user(request)
    changes: dict[str, Any] = {}
    if "name" in request.POST:
        changes["name"] = request.POST["name"]
    if may(user, Action.CHANGE):  # the checkbox is offered: unticked is "not shared"
        changes["shared"] = request.POST.get("shared") == "on"
    if "default_for_role" in request.POST:
        changes["default_for_role"] = request.POST["default_for_role"]
    if request.POST.get("keep_query") == "on":
        changes["querystring"] = request.POST.get("querystring", "")
    list_name = saved_view_detail(user=user, view_id=view_id).list  # 404 for one not seen
    try:
        view = saved_view_update(by=user, view_id=view_id, changes=changes)
    except ValidationError as error:
        return _refused(request, error, list_name)
    messages.success(request, f"View “{view.name}” changed.")
    return redirect(view_url(view))


@login_required
@require_POST
def saved_view_remove(request: HttpRequest, view_id: int) -> HttpResponse:
    user = signed_in_user(request)
    view = saved_view_detail(user=user, view_id=view_id)  # 404 for one not seen
    saved_view_delete(by=user, view_id=view_id)
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect(_back(request, view.list))
