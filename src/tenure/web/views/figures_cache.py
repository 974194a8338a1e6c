"""The analytics pages' figures kept between requests while the data they read is unchanged.

At 100,000 customers the Analytics page reads a million orders three times (retention,
cohorts, orders per period: seconds); the figures change only when the data does. They are
kept in Django's cache (each process's memory unless ``CACHES`` says otherwise) under the
data's version (``tenure.lifecycle.versions``: any write moves
it), the day (periods end today), the page's settings and whose book they are of: one key for
every role that sees the whole base, one per success manager (their own book), one per
segment. Nothing else of the page is kept: who may refit, a fit running, the forms, are read
on every request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from tenure.access import sees_all
from tenure.lifecycle.versions import figures_version
from tenure.users.models import User
from tenure.web.views.segment_scope import SegmentScope

KEEP_SECONDS = 15 * 60  # a bound, not the rule: a new version is a new key at once


def figures_cached(
    page: str, *, user: User, scope: SegmentScope, settings: Any, compute: Callable[[], Any]
) -> Any:
    """``compute()``, or what it returned for the same page, book, settings, day and data."""
    book = "all" if sees_all(user) else f"user-{user.pk}"
    segment = scope.chosen.pk if scope.chosen else "-"
    parts = [page, book, str(segment), repr(settings), str(timezone.localdate()), figures_version()]
    key = "figures:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, KEEP_SECONDS)
    return found
