"""``Idempotency-Key`` on API POSTs, as payment APIs do it.

The first request with a key runs once; a retry with the same key gets the stored status and
body without running again; the same key with another body is refused (422). The claim on the
key, the request's own writes and the stored response share ONE transaction: concurrent retries
wait on the key's unique index until the first commits, then replay it, and a request that
crashes leaves neither its writes nor its claim behind, so a retry runs it afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tenure.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _error(status: int, code: str, message: str) -> HttpResponse:
    payload = {"error": {"code": code, "message": message, "fields": {}}}
    return HttpResponse(json.dumps(payload), status=status, content_type="application/json")


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    """Applies to POSTs under ``/api/`` that carry an Idempotency-Key and a valid token
    (resolved before, by ``tenure.api.auth.ApiTokenMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not request.path.startswith("/api/") or key is None:
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _error(400, "bad_request", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters")
        if getattr(request, "api_user", None) is None:
            # No valid token (none, a wrong one, a revoked one, a deactivated user's): the API
            # answers 401, and nothing stored is replayed to it, not even to the token that
            # made it once it no longer works; nor is anything stored for it.
            return self.get_response(request)
        # Keys are the token's own: another token, even the same user's, never gets an answer
        # made for this one (a token is one user's: its digest names both).
        scope = _digest(request.headers.get("Authorization", "").encode())
        fingerprint = _digest(request.method.encode(), request.path.encode(), request.body)
        return self._once(request, scope, key, fingerprint)

    def _once(
        self, request: HttpRequest, scope: str, key: str, fingerprint: str, attempt: int = 1
    ) -> HttpResponse:
        now = timezone.now()
        claimed = False
        try:
            with transaction.atomic():
                IdempotencyKey.objects.filter(scope=scope, key=key, expires_at__lte=now).delete()
                claim = IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=0,
                    content_type="",
                    body=b"",
                    created_at=now,
                    expires_at=now + LIFETIME,
                )
                claimed = True
                response = self.get_response(request)
                if response.status_code >= 500 or response.streaming:
                    transaction.set_rollback(True)  # let a retry run it again
                    return response
                claim.status_code = response.status_code
                claim.content_type = response.get("Content-Type", "application/json")
                claim.body = response.content
                claim.save(update_fields=["status_code", "content_type", "body"])
                return response
        except IntegrityError:
            if claimed:
                raise  # the request's own writes failed; not a clash on the key
        stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if stored is None and attempt < 3:  # the first one rolled back (a 5xx): run afresh
            return self._once(request, scope, key, fingerprint, attempt + 1)
        if stored is None:
            return _error(409, "conflict", "the first request with this key failed; retry")
        if stored.fingerprint != fingerprint:
            return _error(
                422,
                "idempotency_key_reused",
                f"this {HEADER} was already used with a different request; use a new key",
            )
        return _replay(stored)
