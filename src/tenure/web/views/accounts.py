"""The accounts list and the account page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tenure.customers.models import Account
from tenure.customers.selectors import (
    account_customers,
    account_detail,
    account_industries,
    account_list,
    owner_choices,
)
from tenure.interactions.selectors import account_interactions
from tenure.lifecycle.selectors import account_health
from tenure.users.models import User
from tenure.web.forms import AccountFilterForm
from tenure.web.views._render import recent_history, signed_in_user, wants_fragment
from tenure.web.views.pagination import page_number, paginate

ACCOUNT_PAGE_ROWS = 20
HEALTH_HISTORY_SHOWN = 8
_TRENDS = {1: ("↑", "trend-up", "improving"), -1: ("↓", "trend-down", "worsening")}


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def accounts(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = AccountFilterForm(request.GET)
    filters = form.filters()
    page = paginate(
        account_list(user=user, filters=filters), number=page_number(request.GET.get("page"))
    )
    context = {"form": form, "filters": filters, "page": page, "section": "accounts"}
    if wants_fragment(request, "results"):
        context["fragment"] = True
        return render(request, "web/accounts/_results.html", context)
    context["industries"] = account_industries(user=user)
    context["owners"] = owner_choices(user=user)
    return render(request, "web/accounts/list.html", context)


@login_required
@require_GET
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        found = account_detail(user=user, account_id=account_id)
    except Account.DoesNotExist as missing:
        raise Http404("No such account.") from missing
    customers = paginate(
        account_customers(user=user, account=found), number=1, per_page=ACCOUNT_PAGE_ROWS
    )
    interactions = account_interactions(user=user, account=found, limit=ACCOUNT_PAGE_ROWS)
    context = {
        "account": found,
        "customers": customers,
        "interactions": interactions,
        "history": recent_history(found),
        "health": _health_card(user, found.pk),
        "section": "accounts",
    }
    return render(request, "web/accounts/detail.html", context)


def _health_card(user: User, account_id: int) -> dict[str, Any]:
    """The Account health card: score, band, trend arrow, drivers, the latest changes."""
    found = account_health(user=user, account_id=account_id, history_limit=HEALTH_HISTORY_SHOWN)
    health = found.health
    arrow, trend_class, words = _TRENDS.get(
        health.trend if health else 0, ("→", "trend-flat", "steady")
    )
    return {
        "now": health,
        "trend": {"arrow": arrow, "class": trend_class, "words": words},
        "changes": list(reversed(found.history)),
    }
