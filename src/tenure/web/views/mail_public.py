"""The pages a message's recipient reaches without an account, by a signed token: the
unsubscribe link (RFC 8058's one-click POST, and a preference page), and tracking.

The one-click POST answers 200 with no redirect and sets no cookie (mail providers POST it
from their servers); it is CSRF-exempt because the signed token is the authority. GET changes
nothing: a link scanner that follows every URL of a message must not unsubscribe anyone.
A token tenure did not sign is 404.
"""

from __future__ import annotations

from base64 import b64decode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from tenure.customers.models import ConsentPurpose
from tenure.events.record import acting_via
from tenure.mail.services import (
    InvalidToken,
    Unsubscribing,
    message_clicked,
    message_opened,
    preferences_of,
    preferences_set,
    unsubscribe_one_click,
    unsubscribe_target,
)

PIXEL = b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _label(target: Unsubscribing, topic: str) -> str:
    if target.contact is not None:  # a contact is sent one thing: their account's report
        return "Results reports by email"
    return str(ConsentPurpose(topic).label)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = unsubscribe_target(token)
    except InvalidToken:
        raise Http404("no such link") from None
    saved = False
    if request.method == "POST":
        with acting_via("web"):
            if request.POST.get("preferences") == "1":
                choices = {
                    topic: request.POST.get(topic) == "on" for topic in preferences_of(target)
                }
                preferences_set(token=token, choices=choices, now=timezone.now())
                saved = True
            else:
                unsubscribe_one_click(token=token, now=timezone.now())
                return HttpResponse(
                    "You are unsubscribed.\n", content_type="text/plain; charset=utf-8"
                )
    topics = [
        {"name": topic, "label": _label(target, topic), "on": on}
        for topic, on in preferences_of(target).items()
    ]
    return render(
        request, "web/mail/preferences.html", {"topics": topics, "saved": saved, "token": token}
    )


@never_cache
@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    if not settings.MAIL_TRACKING:
        raise Http404("tracking is off")
    try:
        with acting_via("web"):
            message_opened(token=token)
    except InvalidToken:
        raise Http404("no such link") from None
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def clicked(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if settings.MAIL_TRACKING:
            with acting_via("web"):
                url = message_clicked(token=token)
        else:
            raise InvalidToken
    except InvalidToken:
        raise Http404("no such link") from None
    return HttpResponseRedirect(url)
