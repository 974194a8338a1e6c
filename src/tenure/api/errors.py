"""One error shape for every API response that is not a success:

``{"error": {"code": "validation_error", "message": "...", "fields": {"amount": ["..."]}}}``
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tenure.access.filtering import InvalidFilters
from tenure.analytics.errors import InvalidInputError
from tenure.domain.errors import Conflict

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "rate_limited",
}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


# The error answers every endpoint may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 422)
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_name(location: Any) -> str:
    # Pydantic locations look like ("body", "payload", "amount"); keep the field path only.
    parts = [str(p) for p in location if p not in ("body", "query", "path", "payload", "header")]
    return ".".join(parts) or "__all__"


def pydantic_message(error: dict[str, Any]) -> str:
    """A pydantic error's words, without the "Value error, " of a validator's own reason."""
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def _pydantic_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        fields[_field_name(error.get("loc", ()))].append(pydantic_message(error))
    return dict(fields)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(NinjaValidationError)
    def validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = _pydantic_fields(list(exc.errors))
        return respond(request, 422, error_body("validation_error", "invalid input", fields))

    @api.exception_handler(DjangoValidationError)
    def model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(request, 422, error_body("validation_error", "invalid input", fields))

    @api.exception_handler(InvalidFilters)
    def invalid_filters(request: HttpRequest, exc: InvalidFilters) -> HttpResponse:
        return respond(request, 422, error_body("validation_error", "invalid input", exc.fields))

    @api.exception_handler(InvalidInputError)
    def analytics_input(request: HttpRequest, exc: InvalidInputError) -> HttpResponse:
        fields = {exc.name: [exc.reason]}
        return respond(request, 422, error_body("validation_error", str(exc), fields))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = "send a valid token: Authorization: Bearer <token>"
        response = respond(request, 401, error_body("not_authenticated", message))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "your role may not do this"
        return respond(request, 403, error_body("permission_denied", message))

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return respond(request, 409, error_body("conflict", str(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "no such record"))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # A chunked body (no Content-Length) over the limit, found when read.
        return respond(request, 413, error_body("too_large", "the request body is too large"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        message = "something went wrong on our side; it has been logged"
        return respond(request, 500, error_body("server_error", message))
