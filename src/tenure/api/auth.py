"""``Authorization: Bearer <token>`` for the API.

The middleware resolves the token once, before the view, so that everything downstream (the
change history's actor, the idempotency scope, the endpoint) sees the same user.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer

from tenure.users.models import User
from tenure.users.services import api_token_authenticate


class ApiTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_user = None  # type: ignore[attr-defined]
        if request.path.startswith("/api/"):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token:
                user = api_token_authenticate(token=token.strip())
                if user is not None:
                    request.user = user
                    request.api_user = user  # type: ignore[attr-defined]
        return self.get_response(request)


class BearerToken(HttpBearer):
    """Accepts the request when the middleware found a valid token (never a session cookie:
    the API has no CSRF protection, so it must not act on a browser's cookies)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return getattr(request, "api_user", None)


def caller(request: HttpRequest) -> User:
    """The user behind an endpoint's token (always a real one behind ``BearerToken``; the
    check narrows the type for the services' ``by=``)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("send a valid token")
    return user
