"""What a signed-in user is shown is theirs: no cache may keep it (OWASP ASVS 8.2.1).

A page or an API answer for someone signed in (by session or token) names customers, orders and
what they said; a shared proxy or the browser's back-forward cache must not hand it to the next
person at that machine. Answers that already say how to be cached (the static files, an export
that sets its own header) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivateWhenSignedInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
