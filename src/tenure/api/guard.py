"""``RequestGuardMiddleware``: what a request may be before any view reads it.

- A body larger than the limit is refused with 413 before it is read: ``TENURE_MAX_BODY_MB``
  for the API and forms, ``TENURE_MAX_UPLOAD_MB`` for a multipart upload (import files). A
  body without a Content-Length (chunked) is bounded by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  when read (``RequestDataTooBig``, answered 413 here too).
- A NUL character in the query string is refused with 422 naming the parameter: no database
  can store or search for it.

API paths answer in the API's error shape; pages answer in plain text.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from tenure.api.errors import error_body

API_PREFIX = "/api/"
MB = 1024 * 1024


def _refusal(
    request: HttpRequest, status: int, code: str, message: str, fields: dict
) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = json.dumps(error_body(code, message, fields))
        return HttpResponse(body, status=status, content_type="application/json")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def body_limit(request: HttpRequest) -> int:
    """The largest body, in bytes, this request may send."""
    upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
    megabytes = settings.TENURE_MAX_UPLOAD_MB if upload else settings.TENURE_MAX_BODY_MB
    return megabytes * MB


def too_large(request: HttpRequest) -> HttpResponse:
    limit = body_limit(request) // MB
    return _refusal(request, 413, "too_large", f"the request body is larger than {limit} MB", {})


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit(request):
            return too_large(request)
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            fields = {
                name: ["contains a NUL character"]
                for name, values in request.GET.lists()
                if any("\x00" in value for value in values) or "\x00" in name
            }
            return _refusal(
                request, 422, "validation_error", "a NUL character in the query", fields
            )
        try:
            return self.get_response(request)
        except RequestDataTooBig:
            return too_large(request)
