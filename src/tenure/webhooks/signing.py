"""Signing a webhook request, and how a receiver checks it (Stripe's and Standard Webhooks'
scheme: an HMAC of the timestamp and the body, so a captured request cannot be replayed later
with a new timestamp, nor its body changed).

Each request carries::

    Tenure-Event-Key: order.placed:123      (the same key is the same event: de-duplicate by it)
    Tenure-Event-Id: 4567                   (the event's id)
    Tenure-Timestamp: 1767225600            (seconds since 1970, when this attempt was sent)
    Tenure-Signature: v1=<hex>              (HMAC-SHA256 of "<timestamp>.<body>", the secret)

A receiver verifies it like this (Python; the raw body, before any JSON parsing)::

    import hashlib, hmac, time

    def verified(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
        timestamp = headers["Tenure-Timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:
            return False  # too old (or a replay): refuse
        signed = timestamp.encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        given = [part.removeprefix("v1=") for part in headers["Tenure-Signature"].split(",")]
        return any(hmac.compare_digest(expected, g.strip()) for g in given)

and answers 2xx once it has stored the event (anything else is retried). Deliveries are at
least once: the same event may come twice, so keep the keys seen (``Tenure-Event-Key``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 -- a prefix that tells what the value is, no secret


def secret_new() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The JSON body as sent (compact; what is signed)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Tenure-Signature`` header's value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver checks (without the age of the timestamp, which needs its clock)."""
    if not timestamp.isdigit():
        return False
    expected = signature(secret, int(timestamp), body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
