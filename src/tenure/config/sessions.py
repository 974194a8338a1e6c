"""Signed-in sessions end after a while idle and after a fixed lifetime (OWASP ASVS 3.3.2).

Django alone offers one expiry (SESSION_COOKIE_AGE), either fixed from the last save or slid by
saving the session on every request. Here the session keeps two stamps: when the login started
and when it was last seen; a request past either limit is signed out before any view runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import urlencode
from django.utils.timesince import timesince

STARTED = "tenure_session_started"
SEEN = "tenure_session_seen"
# The last-seen stamp is written at most this often, so that an active user's requests do not
# each save the session: the idle limit is kept to within this many seconds.
SEEN_RESOLUTION = 60


def session_stamp_login(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """On login (a receiver of ``user_logged_in``): the session's clock starts now.

    Stamped here, with the login's own save, rather than on the next request, which would then
    save the session once more.
    """
    now = int(time.time())
    request.session[STARTED] = now
    request.session[SEEN] = now


class SessionTimeoutMiddleware:
    """Sign out a session idle for SESSION_IDLE_SECONDS or older than SESSION_MAX_SECONDS.

    ``clock`` (seconds since the epoch) is a parameter so that a test can move time.
    """

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponse],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.get_response = get_response
        self.clock = clock

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY not in session:  # not signed in with a session (or an API token)
            return self.get_response(request)
        now = int(self.clock())
        started = int(session.get(STARTED, now))
        seen = int(session.get(SEEN, now))
        if now - seen > settings.SESSION_IDLE_SECONDS:
            return self._expired(request, f"after {_words(settings.SESSION_IDLE_SECONDS)} idle")
        if now - started > settings.SESSION_MAX_SECONDS:
            return self._expired(request, f"{_words(settings.SESSION_MAX_SECONDS)} after login")
        if STARTED not in session:
            session[STARTED] = now
        if SEEN not in session or now - seen >= SEEN_RESOLUTION:
            session[SEEN] = now
        return self.get_response(request)

    def _expired(self, request: HttpRequest, when: str) -> HttpResponse:
        logout(request)  # flushes the session: a new key, nothing of the old one kept
        messages.info(request, f"You were signed out {when}. Please log in again.")
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the login page into the fragment it asked for: send the whole
            # window to the login instead, back to the page it was on afterwards.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = (current.path or "/") + (f"?{current.query}" if current.query else "")
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
            )
            return response
        return self.get_response(request)  # as anyone signed out: a page sends them to log in


def _words(seconds: int) -> str:
    """1800 -> "30 minutes", 43200 -> "12 hours" (Django's own words, as in "timesince")."""
    reference = datetime(2000, 1, 1, tzinfo=UTC)
    return timesince(reference - timedelta(seconds=seconds), reference)
