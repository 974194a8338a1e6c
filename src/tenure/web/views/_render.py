"""Helpers of the views: who is signed in, and whether htmx asked for a fragment.

A URL that answers with a page or, for htmx, a fragment is decorated with
``vary_on_headers("HX-Request", "HX-Target")`` so that caches keep the two apart."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest

from tenure.history.selectors import history_entry_view, history_of
from tenure.users.models import User

HISTORY_SHOWN = 20


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind ``login_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Log in first.")
    return user


def wants_fragment(request: HttpRequest, target: str) -> bool:
    """True for an htmx request that swaps the element with id ``target``.

    A history restore (the back button after the snapshot was evicted) asks for the whole page.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Target") == target
        and headers.get("HX-History-Restore-Request") != "true"
    )


def recent_history(record: Model) -> list[dict[str, Any]]:
    """The latest changes of a record the user may see, for its page (``web/_history.html``)."""
    return [history_entry_view(entry) for entry in history_of(record=record, limit=HISTORY_SHOWN)]


def errors_onto_form(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has the field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
