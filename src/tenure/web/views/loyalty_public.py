"""The customer's own points page, reached by a signed link (``/p/<token>/``): no login.

The token (``tenure.loyalty.tokens``) names one customer; the page shows that customer's
balance, points expiring soon, tier and its benefits, the next tier and how far, the latest
20 entries, their referral link and their challenges, and nothing of anyone else: no id in
the address or the request chooses another customer. GET only, nothing cached, not indexed
(the survey page's frame). A link tenure did not sign, or one past its age (``TENURE_LOYALTY_
LINK_DAYS``), gets a page in words naming no one (404, 410), as does a link while the program
is switched off (410). Requests are counted per address and per link in a fixed window in
Django's cache, as the survey page's are: 429 past either.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tenure.loyalty.program import points_page
from tenure.loyalty.tokens import points_token_read
from tenure.referrals.selectors import live_code
from tenure.surveys.sending import business_name
from tenure.web.rate_limits import client_address, over_limits

WINDOW_SECONDS = 600
PER_ADDRESS = 60
PER_LINK = 20
REFUSALS = {
    "invalid": (404, "This link does not work", "It may have been copied incompletely. Please "
                "use the link exactly as it came to you."),
    "expired": (410, "This link has expired", "For your privacy a points link works for a "
                "limited time. Ask us for a new one, or use the one in our latest email."),
    "closed": (410, "The loyalty program is closed", "There are no points to show at the "
               "moment."),
}  # fmt: skip


def _digest(token: str) -> str:
    """A short cache key for any token (memcached takes at most 250 characters)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _limited(request: HttpRequest, token: str) -> bool:
    """Count this request; whether its address or its link is past its limit in the window."""
    return over_limits(
        [(f"points-page-rate:ip:{client_address(request)}",
          getattr(settings, "LOYALTY_PAGE_RATE_PER_ADDRESS", PER_ADDRESS)),
         (f"points-page-rate:link:{_digest(token)}",
          getattr(settings, "LOYALTY_PAGE_RATE_PER_LINK", PER_LINK))],
        WINDOW_SECONDS,
    )  # fmt: skip


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("business", business_name())
    context.setdefault("language", "en")
    response = render(request, f"web/loyalty/{template}", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leave in a Referer
    return response


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    status, title, words = REFUSALS[reason]
    return _page(request, "public_refused.html", status, title=title, words=words)


@never_cache
@require_GET
def points_page_public(request: HttpRequest, token: str) -> HttpResponse:
    if _limited(request, token):
        return _page(request, "public_refused.html", 429, title="Too many attempts",
                     words="Please wait a few minutes and try again.")  # fmt: skip
    customer_id, verdict = points_token_read(token)
    if customer_id is None:
        return _refused(request, verdict)
    now = timezone.now()
    page = points_page(customer_id=customer_id, now=now)
    if page is None:  # signed, but the customer is gone
        return _refused(request, "invalid")
    if not page.program.enabled:
        return _refused(request, "closed")
    code = live_code(customer_id)
    return _page(request, "public_points.html", page=page, now=now,
                 referral_code=code.code if code is not None else "")  # fmt: skip
