"""The single-threaded accounts: those whose relationship rests on one contact or one team
member (``tenure.domain.relationship``), the most valuable first, each with the words and who
else to meet. Every role reads it over its own book."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenure.domain.relationship import ENGAGED_DAYS
from tenure.interactions.relationship_selectors import single_threaded_accounts
from tenure.web.views._render import signed_in_user


@login_required
@require_GET
def single_threaded(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "rows": single_threaded_accounts(user=user, now=timezone.now()),
        "days": ENGAGED_DAYS,
        "section": "accounts",
    }
    return render(request, "web/accounts/single_threaded.html", context)
