"""Which path a request's events come by: the API, the admin or the pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tenure.events.record import acting_via


class EventsViaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        via = (
            "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        )
        with acting_via(via):
            return self.get_response(request)
