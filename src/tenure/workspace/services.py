"""Writes of saved list views: save, change, delete, each through the role policy.

A saved view is a preference: every role that reads a list may keep private views of it (an
analyst too, who changes no record). Sharing one with the team needs a role that changes
records; making one a role's default, which changes what a whole role sees first, needs a
role that changes every record (admins, managers). A view's query is checked against its
list's FilterSet before it is stored, so a saved view never opens a list on a refusal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, QueryDict

from tenure.access import may, require, require_all, visible
from tenure.access.filtering import ListFilterSet
from tenure.customers.filters import AccountFilterSet, CustomerFilterSet
from tenure.domain.access import Action, Role
from tenure.domain.limits import value_problem
from tenure.orders.filters import OrderFilterSet
from tenure.todos.filters import TaskFilterSet
from tenure.users.models import User
from tenure.workspace.columns import COLUMNS_PARAM, ColumnsRefused, columns_chosen
from tenure.workspace.models import QUERYSTRING_MAX, ListName, SavedView

# The FilterSet each list filters through (the page's, the API's and the export's).
FILTERSETS: dict[str, type[ListFilterSet]] = {
    ListName.CUSTOMERS: CustomerFilterSet,
    ListName.ACCOUNTS: AccountFilterSet,
    ListName.ORDERS: OrderFilterSet,
    ListName.TASKS: TaskFilterSet,
}
# Where a list is, not what it shows: never kept in a view.
NOT_KEPT = frozenset({"page", "saved"})
NAME_MAX = 120
DEFAULT_WHY = "only admins and managers set a role's default view"


def querystring_validated(*, list_name: str, querystring: str) -> str:
    """``querystring`` as it will be stored (page and empty values dropped), or a
    ``ValidationError`` on ``querystring`` naming each refused filter and why."""
    if list_name not in FILTERSETS:
        raise ValidationError({"list": [f"one of {', '.join(FILTERSETS)}"]})
    if problem := value_problem(querystring):
        raise ValidationError({"querystring": [problem]})
    data = QueryDict(querystring.lstrip("?"), mutable=True)
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        given = [value for value in values if value != ""]
        if key not in NOT_KEPT and given:
            kept.setlist(key, given)
    filterset = FILTERSETS[list_name]
    refused: dict[str, list[str]] = {}
    for key in kept:
        if key not in filterset.base_filters and key != COLUMNS_PARAM:
            refused[key] = [f"not a filter of the {list_name} list"]
    if COLUMNS_PARAM in kept:
        try:
            columns_chosen(list_name, str(kept.get(COLUMNS_PARAM, "")))
        except ColumnsRefused as error:
            refused[COLUMNS_PARAM] = [error.reason]
    checked = filterset(kept, filterset._meta.model._default_manager.none())
    if not checked.is_valid():
        refused.update(checked.field_errors())
    if refused:
        words = [f"{name}: {' '.join(reasons)}" for name, reasons in sorted(refused.items())]
        raise ValidationError({"querystring": words})
    text = kept.urlencode()
    if len(text) > QUERYSTRING_MAX:
        raise ValidationError({"querystring": [f"at most {QUERYSTRING_MAX} characters"]})
    return text


def _name_checked(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise ValidationError({"name": ["a view needs a name"]})
    if len(text) > NAME_MAX:
        raise ValidationError({"name": [f"at most {NAME_MAX} characters ({len(text)} given)"]})
    if problem := value_problem(text):
        raise ValidationError({"name": [problem]})
    return text


def _role_checked(by: User, role: Any) -> str:
    text = str(role or "")
    if text and text not in {role.value for role in Role}:
        raise ValidationError({"default_for_role": [f"one of {', '.join(Role)}"]})
    if text:
        require_all(by, Action.CHANGE, why=DEFAULT_WHY)
    return text


def _default_released(view: SavedView) -> None:
    """Another view that was this role's default for this list no longer is (one per role)."""
    others = SavedView.objects.select_for_update().filter(
        list=view.list, default_for_role=view.default_for_role
    )
    for other in others.exclude(pk=view.pk):
        other.default_for_role = ""
        other.save(update_fields=["default_for_role", "updated_at"])  # in its history


def _changeable(by: User, view_id: int) -> SavedView:
    """The view ``by`` may change: its owner's (an analyst's own private ones too), or any for
    the roles that change every record; 404 otherwise, as for a record outside one's book."""
    require(by, Action.VIEW)
    rows = (
        visible(by, SavedView, Action.CHANGE)
        if may(by, Action.CHANGE)
        else visible(by, SavedView).filter(owner=by)
    )
    try:
        return rows.select_for_update().get(pk=view_id)
    except SavedView.DoesNotExist as missing:
        raise Http404("no such view") from missing


@transaction.atomic
def saved_view_create(
    *,
    by: User,
    list_name: str,
    name: str,
    querystring: str,
    shared: bool = False,
    default_for_role: str = "",
) -> SavedView:
    require(by, Action.VIEW)
    view = SavedView(
        owner=by,
        list=list_name,
        name=_name_checked(name),
        querystring=querystring_validated(list_name=list_name, querystring=querystring),
        default_for_role=_role_checked(by, default_for_role),
    )
    if shared or view.default_for_role:
        require(by, Action.CHANGE)  # an analyst's views are private
        view.shared = True  # a role's default is seen by that role
    if view.default_for_role:
        _default_released(view)
    view.save()
    return view


_CHANGEABLE = ("name", "querystring", "shared", "default_for_role")


@transaction.atomic
def saved_view_update(*, by: User, view_id: int, changes: dict[str, Any]) -> SavedView:
    """Rename, re-query, share or unshare, set or clear a role's default."""
    view = _changeable(by, view_id)
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise ValidationError({name: ["cannot be changed"] for name in sorted(unknown)})
    if "name" in changes:
        view.name = _name_checked(changes["name"])
    if "querystring" in changes:
        view.querystring = querystring_validated(
            list_name=view.list, querystring=str(changes["querystring"] or "")
        )
    if "default_for_role" in changes:
        role = _role_checked(by, changes["default_for_role"])
        if role != view.default_for_role:
            require_all(by, Action.CHANGE, why=DEFAULT_WHY)  # clearing one too
        view.default_for_role = role
    if "shared" in changes:
        if changes["shared"]:
            require(by, Action.CHANGE)  # an analyst's views are private
        elif view.default_for_role:
            raise ValidationError(
                {"shared": ["a role's default view is shared: clear the default first"]}
            )
        view.shared = bool(changes["shared"])
    if view.default_for_role:
        view.shared = True
        _default_released(view)
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, by: User, view_id: int) -> None:
    view = _changeable(by, view_id)
    if view.default_for_role:
        require_all(by, Action.CHANGE, why=DEFAULT_WHY)
    view.delete()
