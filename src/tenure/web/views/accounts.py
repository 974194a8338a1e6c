"""The accounts list and the account page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tenure.access import may, require
from tenure.customers.filters import HEALTH_BANDS, AccountFilterSet
from tenure.customers.models import Account, BudgetBand, SizeBand
from tenure.customers.selectors import (
    account_customers,
    account_detail,
    account_industries,
    account_list,
    account_timeline,
    owner_choices,
    timeline_kinds_parse,
)
from tenure.customers.timeline import TIMELINE_KINDS
from tenure.domain.access import Action
from tenure.lifecycle.selectors import account_health
from tenure.notifications.cockpit import account_cockpit
from tenure.notifications.selectors import open_complaints
from tenure.users.models import User
from tenure.web.forms import InteractionForm
from tenure.web.views._render import recent_history, signed_in_user, wants_fragment
from tenure.web.views.customers import (
    compose,
    logged_context,
    logged_words,
    team_choices,
    timeline_context,
)
from tenure.web.views.empty_state import empty_state
from tenure.web.views.filtering import filtered_page
from tenure.web.views.list_views import (
    SAVED_PARAM,
    columns_context,
    default_view_redirect,
    views_context,
)
from tenure.web.views.pagination import paginate
from tenure.web.views.undo import undo_offer_later
from tenure.workspace.columns import COLUMNS_PARAM

ACCOUNT_PAGE_ROWS = 20
HEALTH_HISTORY_SHOWN = 8
_TRENDS = {1: ("↑", "trend-up", "improving"), -1: ("↓", "trend-down", "worsening")}


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def accounts(request: HttpRequest) -> HttpResponse:
    if (default := default_view_redirect(request, "accounts")) is not None:
        return default
    user = signed_in_user(request)
    found = filtered_page(request, AccountFilterSet.of(user, request.GET), account_list)
    columns = columns_context(request, "accounts")
    export_query = request.GET.copy()  # the bulk bar's "every account matching": all rows
    for key in ("page", COLUMNS_PARAM, SAVED_PARAM):
        export_query.pop(key, None)
    context = {
        "export_query": export_query.urlencode(),
        "filters": found.values,
        "filter_errors": {**found.errors, **columns["columns_error"]},
        "page": found.page,
        "section": "accounts",
        **columns,
        **views_context(request, "accounts"),
    }
    if not found.page.items:  # nothing at all yet: ways in, not "clear the filters"
        context["empty_state"] = empty_state(user=user, list_name="accounts")
    status = 200 if wants_fragment(request, "results") else found.status  # htmx swaps 2xx only
    if wants_fragment(request, "results"):
        context["fragment"] = True
        return render(request, "web/accounts/_results.html", context, status=status)
    context["industries"] = account_industries(user=user)
    context["owners"] = owner_choices(user=user)
    context["size_bands"] = SizeBand.choices
    context["budget_bands"] = BudgetBand.choices
    context["health_bands"] = HEALTH_BANDS
    return render(request, "web/accounts/list.html", context, status=status)


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
    kinds = timeline_kinds_parse(request.GET.getlist("kind"))
    visible_customers = account_customers(user=user, account=found)
    context = {
        "account": found,
        "customers": customers,
        "cockpit": account_cockpit(account=found, customers=visible_customers),
        "timeline": account_timeline(
            account=found,
            customers=visible_customers,
            before=request.GET.get("before"),
            kinds=kinds,
        ),
        **_account_timeline_urls(found, kinds),
        **_composer(found, InteractionForm.blank(complaints=open_complaints(account=found))),
        "history": recent_history(found),
        "health": _health_card(user, found.pk),
        "may_change": may(user, Action.CHANGE),
        "section": "accounts",
    }
    return render(request, "web/accounts/detail.html", context)


def _composer(account: Account, form: InteractionForm) -> dict[str, Any]:
    return {
        "form": form,
        "team": team_choices(),
        "composer_url": reverse("web:account-interaction-create", args=[account.pk]),
    }


@login_required
@require_POST
@vary_on_headers("HX-Request", "HX-Target")
def account_interaction_create(request: HttpRequest, account_id: int) -> HttpResponse:
    """The composer on an account's page: the same as a customer's, about the account."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    try:
        found = account_detail(user=user, account_id=account_id)
    except Account.DoesNotExist as missing:
        raise Http404("No such account.") from missing
    form = InteractionForm(request.POST, complaints=open_complaints(account=found))
    composed = compose(request, form, account=found)
    if composed is None:
        if wants_fragment(request, "interaction-form"):
            context = {"account": found, **_composer(found, form)}
            return render(request, "web/customers/_interaction_form.html", context)
        # Without htmx: the refusals, by field, above the page's composer.
        problems = [f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()]
        messages.error(request, "Not logged: " + "; ".join(problems))
        return redirect(reverse("web:account", args=[found.pk]) + "#interaction-form")
    if wants_fragment(request, "interaction-form"):
        every = frozenset(TIMELINE_KINDS)
        context = {
            "account": found,
            **_composer(found, InteractionForm.blank(complaints=open_complaints(account=found))),
            "timeline": account_timeline(
                account=found, customers=account_customers(user=user, account=found)
            ),
            **_account_timeline_urls(found, every),
            **logged_context(composed),
        }
        return render(request, "web/customers/_interaction_logged.html", context)
    page = reverse("web:account", args=[found.pk])
    messages.success(request, logged_words(composed[0]))
    undo_offer_later(request, composed[1], on=page)
    return redirect(page + "#timeline")


def _account_timeline_urls(account: Account, kinds: frozenset[str]) -> dict[str, Any]:
    return timeline_context(
        kinds,
        reverse("web:account", args=[account.pk]),
        reverse("web:account-timeline", args=[account.pk]),
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def account_timeline_page(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account timeline's entries for htmx (type filters, "Show older"), else the page."""
    if request.headers.get("HX-Request") != "true":
        url = reverse("web:account", args=[account_id])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}#timeline" if query else url)
    user = signed_in_user(request)
    try:
        found = account_detail(user=user, account_id=account_id)
    except Account.DoesNotExist as missing:
        raise Http404("No such account.") from missing
    kinds = timeline_kinds_parse(request.GET.getlist("kind"))
    timeline = account_timeline(
        account=found, customers=account_customers(user=user, account=found),
        before=request.GET.get("before"), kinds=kinds,
    )  # fmt: skip
    context = {"account": found, "timeline": timeline, **_account_timeline_urls(found, kinds)}
    return render(request, "web/customers/_timeline_entries.html", context)


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
