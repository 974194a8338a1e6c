"""Requests counted in a fixed window in Django's cache, for the public pages (a survey's link,
a feedback form, a referral link, a customer's points page): each counts the requests of an
address, and some of a link, and answers 429 past a limit.

A fixed window (the first request starts it, ``cache.add``; the others add one, ``incr``,
atomic in Redis and memcached) is enough to stop a script guessing tokens; it is not a
sliding window, so up to twice the limit can pass around a window's end."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 600


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def counted(key: str, window_seconds: int = WINDOW_SECONDS) -> int:
    """Count one more request under ``key``; how many its window holds now."""
    cache.add(key, 0, window_seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, window_seconds)
        return 1


def over_limits(limits: Iterable[tuple[str, int]], window_seconds: int = WINDOW_SECONDS) -> bool:
    """Count the request under every key (all of them, so each window sees it); whether any
    key is past its limit."""
    over = False
    for key, limit in limits:
        over = counted(key, window_seconds) > limit or over
    return over
