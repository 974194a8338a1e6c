"""How API tokens look and are checked: random, prefixed, stored as a SHA-256 digest.

A token has 256 bits of randomness, so a fast hash is enough (no password-style stretching).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "tnr_"  # noqa: S105 - a public marker, like GitHub's ghp_


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_looks_valid(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and 40 <= len(token) <= 80


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
