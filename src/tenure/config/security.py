"""Checks the settings run before production mode may start: a secret key that an attacker
cannot guess, and no debug pages. Plain functions on strings, so settings.py can call them
before Django is set up."""

from __future__ import annotations

import ipaddress
import zlib

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_LENGTH = 50  # Django's own deployment check asks for as much
MIN_SECRET_DISTINCT = 10  # a hex key (16 symbols) passes; "abab..." does not
# A random key does not compress; a repeated phrase does (to a third of its length or less).
MIN_SECRET_COMPRESSED_RATIO = 0.75
# Words that mark a key copied from an example or typed by a person, wherever they appear.
PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "change me",
    "secret",
    "password",
    "insecure",
    "example",
    "placeholder",
    "replace",
    "default",
)
HOW_TO_GENERATE = (
    "Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))' "
    "and keep it private (changing it signs everyone out)."
)


def secret_key_problem(key: str) -> str | None:
    """What makes ``key`` unfit to sign sessions and tokens in production, or None."""
    if key.startswith("django-insecure-"):
        return "it is a Django development key (it starts with 'django-insecure-')"
    if len(key) < MIN_SECRET_LENGTH:
        return f"it is too short ({len(key)} characters; at least {MIN_SECRET_LENGTH})"
    lowered = key.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"it contains the placeholder word {word!r}"
    if len(set(key)) < MIN_SECRET_DISTINCT:
        return (
            f"it has too little randomness ({len(set(key))} different characters; "
            f"at least {MIN_SECRET_DISTINCT})"
        )
    if len(zlib.compress(key.encode(), 9)) < MIN_SECRET_COMPRESSED_RATIO * len(key.encode()):
        return "it has too little randomness (it repeats itself)"
    return None


def production_check(*, secret_key: str, debug: bool) -> None:
    """Raise ImproperlyConfigured, saying how to fix it, when production would start unsafe."""
    if debug:
        raise ImproperlyConfigured(
            "TENURE_PRODUCTION=1 refuses TENURE_DEBUG=1: debug pages show settings, source "
            "and data to anyone who causes an error. Unset TENURE_DEBUG (or set it to 0)."
        )
    if problem := secret_key_problem(secret_key):
        raise ImproperlyConfigured(f"TENURE_SECRET_KEY is weak: {problem}. {HOW_TO_GENERATE}")


def trusted_proxy_checked(value: str) -> str:
    """TENURE_TRUSTED_PROXY as waitress compares it: one address, "localhost" or "*".

    waitress compares the peer's address with this string exactly, so a network ("10.0.0.0/8")
    or a name would never match and every request would be redirected to https forever.
    """
    text = value.strip()
    if text in ("*", "localhost"):
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ImproperlyConfigured(
            f"TENURE_TRUSTED_PROXY={value!r} is not an IP address: give the one address the "
            "TLS proxy connects from (e.g. 127.0.0.1 or 172.18.0.2), or * to trust any peer "
            "(only when nothing but the proxy can reach tenure's port)."
        ) from None
