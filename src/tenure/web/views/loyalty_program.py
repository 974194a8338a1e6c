"""The program's analytics page (``/loyalty/program/``: liability, redemption and breakage
rates, members against non-members, over the user's book; the value of a point set by admins)
and a customer's signed points link for the team to send (``/customers/<id>/points/link/``).
Figures from ``tenure.loyalty.program``; no rules here."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tenure.access import require
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.loyalty import program as figures
from tenure.loyalty.tokens import link_days, points_url
from tenure.web.forms import LimitedForm
from tenure.web.views._records import changeable
from tenure.web.views._render import signed_in_user


class PeriodForm(LimitedForm):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)


def _period(request: HttpRequest, today: date) -> tuple[date, date, PeriodForm]:
    form = PeriodForm(request.GET or None)
    start, end = figures.default_period(today)
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return start, end, form


def _bars(schedule: list[tuple[str, int]]) -> list[dict[str, object]]:
    top = max((points for _, points in schedule), default=0)
    return [{"label": label, "points": points, "max": top} for label, points in schedule]


@login_required
@require_GET
def program_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.VIEW)
    now = timezone.now()
    start, end, form = _period(request, timezone.localdate(now))
    status, found = 200, None
    try:
        found = figures.program_analytics(user=user, start=start, end=end, now=now)
    except ValidationError as error:
        for name, words in error.message_dict.items():
            form.add_error(name if name in form.fields else None, words)
        status = 422
    except InvalidInputError as error:
        form.add_error(None, str(error))
        status = 422
    context = {
        "form": form, "start": start, "end": end, "found": found, "section": "loyalty",
        "bars": _bars(found.liability.schedule) if found else [],
        "groups": [found.comparison.members, found.comparison.others] if found else [],
        "program": figures.program(), "admin": user.role == "admin",
    }  # fmt: skip
    return render(request, "web/loyalty/program.html", context, status=status)


@login_required
@require_POST
def point_value(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        figures.point_value_set(by=user, value=request.POST.get("point_value", "").strip())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Value of a point saved.")
    return redirect("web:loyalty-program")


@login_required
@require_GET
def customer_points_link(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's signed link, for the team to send (those who may change the customer:
    a link shows the customer's points to whoever holds it)."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    customer = changeable(user, Customer.objects.all(), customer_id)
    context = {"customer": customer, "url": points_url(customer.pk), "days": link_days(),
               "section": "customers"}  # fmt: skip
    response = render(request, "web/loyalty/program_link.html", context)
    response["Cache-Control"] = "no-store"
    return response
