"""``Authorization: Bearer <token>`` for the API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from tenure.users.models import User
from tenure.users.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token=token)
        if user is not None:
            request.user = user
        return user
