"""Helpers of the views: who is signed in, and whether htmx asked for a fragment.

A URL that answers with a page or, for htmx, a fragment is decorated with
``vary_on_headers("HX-Request", "HX-Target")`` so that caches keep the two apart."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tenure.users.models import User


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
