"""What the record pages share: a form saved through its service (the service's refusals onto
the form's fields, the input kept), the form page and the delete confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tenure.access import get_visible_or_404, require
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.users.models import User
from tenure.web.views._render import signed_in_user

T = TypeVar("T")
M = TypeVar("M", bound=Model)
GET_POST = require_http_methods(["GET", "POST"])
HANDED_AWAY = (
    "Nothing was saved: you would not see this record once saved (it would be neither yours "
    "nor your team's). Keep yourself its owner or a team member."
)
_ALIASES = {"team_ids": "team"}


def changer(request: HttpRequest) -> User:
    """The signed-in user, if their role may change records (403 otherwise)."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    return user


def changeable(user: User, queryset: QuerySet[M], pk: int) -> M:
    """The record the user may change (404 outside their book, never revealing it)."""
    return get_visible_or_404(user, queryset, Action.CHANGE, pk=pk)


def sent(request: HttpRequest) -> Any:
    """The form's data when it was sent, else None (an unbound form)."""
    return request.POST if request.method == "POST" else None


def errors_onto(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the form's fields: ``owner_id`` on ``owner``,
    ``team_ids`` on ``team``; at the top when the form has no such field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        target = _ALIASES.get(name, name)
        if target not in form.fields and target.endswith("_id"):
            target = target.removesuffix("_id")
        form.add_error(target if target in form.fields else None, messages)


def form_save(form: forms.Form, write: Callable[[], T]) -> T | None:
    """``write()`` (the service calls) in one transaction when the form is valid; its
    refusal on the form, nothing stored, and None."""
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return write()
    except ValidationError as error:
        errors_onto(form, error)
    except Conflict as conflict:
        form.add_error(None, str(conflict))
    except Http404:  # a step of the write found the record outside the user's book
        form.add_error(None, HANDED_AWAY)
    return None


def rows_of(form: Any) -> list[list[forms.BoundField]]:
    """The form's fields in its ``rows`` (a form-row each), every field once."""
    rows = [[form[name] for name in row if name in form.fields] for row in form.rows]
    placed = {field.name for row in rows for field in row}
    rest = [form[name] for name in form.fields if name not in placed]
    return [row for row in [*rows, *([field] for field in rest)] if row]


def form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    crumbs: list[tuple[str, str]],
    cancel: str,
    submit: str,
    section: str,
    delete: str = "",
    intro: str = "",
) -> HttpResponse:
    """The page of a record's form; 422 when a sent form was refused."""
    context = {
        "form": form,
        "rows": rows_of(form),
        "title": title,
        "crumbs": crumbs,
        "cancel": cancel,
        "submit": submit,
        "delete": delete,
        "intro": intro,
        "section": section,
        "time_zones": sorted(available_timezones()) if "time_zone" in form.fields else [],
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "web/records/form.html", context, status=status)


def delete_page(
    request: HttpRequest,
    *,
    what: str,
    consequence: str,
    crumbs: list[tuple[str, str]],
    cancel: str,
    section: str,
    error: str = "",
) -> HttpResponse:
    """The confirmation before a delete; 409 with the reason when the service refused."""
    context = {
        "what": what,
        "consequence": consequence,
        "crumbs": crumbs,
        "cancel": cancel,
        "error": error,
        "section": section,
    }
    status = 409 if error and request.method == "POST" else 200
    return render(request, "web/records/delete.html", context, status=status)
