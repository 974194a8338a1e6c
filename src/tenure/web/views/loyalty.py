"""The loyalty pages: the program's overview (``/loyalty/``: members, outstanding points,
this month's movements, over the customers one sees), its settings (``/loyalty/settings/``,
admins), a customer's whole points history (``/customers/<id>/points/``) and the adjust form
(admins and managers). The customer page's "Points" card is ``web/loyalty/_customer_points.html``
(``loyalty_web`` tags). Every write goes through ``tenure.loyalty.services``."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from tenure.access import AccessDenied, require, sees_all
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.loyalty import selectors, services
from tenure.loyalty.models import LoyaltyProgram, Rounding
from tenure.web.forms import LimitedForm
from tenure.web.views._records import GET_POST, changeable, form_page, form_save, sent
from tenure.web.views._render import signed_in_user


class ProgramForm(LimitedForm):
    enabled = forms.BooleanField(required=False, label="Orders earn points")
    points_per_unit = forms.DecimalField(
        min_value=0, max_value=100000, max_digits=10, decimal_places=4,
        label="Points per currency unit",
    )  # fmt: skip
    rounding = forms.ChoiceField(choices=Rounding.choices)
    lot_lifetime_days = forms.IntegerField(
        required=False, min_value=1, max_value=36500, label="Points live for (days)",
        help_text="empty: points never expire",
    )  # fmt: skip
    negative_floor = forms.IntegerField(
        min_value=-10_000_000, max_value=0, label="Lowest balance a refund may leave",
        help_text="0: never below zero; a refund beyond it is written off, and said",
    )  # fmt: skip
    refund_window_days = forms.IntegerField(min_value=0, max_value=3650)
    rows = (("enabled",), ("points_per_unit", "rounding"), ("lot_lifetime_days",),
            ("negative_floor", "refund_window_days"))  # fmt: skip


class AdjustForm(LimitedForm):
    points = forms.IntegerField(
        min_value=-services.MAX_POINTS, max_value=services.MAX_POINTS,
        help_text="up (a new lot) or down (e.g. -50)",
    )  # fmt: skip
    cause = forms.CharField(max_length=200, label="Reason")
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _customer_page(customer_id: int) -> str:
    return reverse("web:customer", args=[customer_id]) + "#customer-points"


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "figures": selectors.overview(user=user, now=timezone.now()),
        "program": selectors.program(),
        "section": "loyalty",
    }
    return render(request, "web/loyalty/overview.html", context)


@login_required
@GET_POST
def program_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    current = selectors.program()
    fields = ("enabled", "points_per_unit", "rounding", "lot_lifetime_days", "negative_floor",
              "refund_window_days")  # fmt: skip
    form = ProgramForm(sent(request), initial={name: getattr(current, name) for name in fields})

    def write() -> LoyaltyProgram:
        return services.program_update(by=user, changes=form.cleaned_data)

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Loyalty settings saved.")
        return redirect("web:loyalty")
    return form_page(
        request, form, title="Loyalty program settings",
        crumbs=[("Loyalty", reverse("web:loyalty"))], cancel=reverse("web:loyalty"),
        submit="Save settings", section="loyalty",
        intro="Points are earned when an order is placed and reversed, as recorded, when it is "
        "refunded or cancelled. A change of rate applies to orders placed from now on.",
    )  # fmt: skip


@login_required
def customer_points(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.customer_points(user=user, customer_id=customer_id, limit=500)
    if found is None:
        raise Http404("no such record")
    context = {"points": found, "customer": found.customer, "section": "customers"}
    return render(request, "web/loyalty/customer_points.html", context)


@login_required
@GET_POST
def customer_points_adjust(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    if not sees_all(user, Action.CHANGE):
        raise AccessDenied("only admins and managers adjust points")
    customer = changeable(user, Customer.objects.all(), customer_id)
    form = AdjustForm(sent(request), initial={"key": uuid.uuid4().hex})

    def write() -> object:
        data = form.cleaned_data
        return services.points_adjust(
            by=user, customer_id=customer.pk, points=data["points"], cause=data["cause"],
            key=data["key"], now=timezone.now(),
        )  # fmt: skip

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Points adjusted.")
        return redirect(_customer_page(customer.pk))
    found = selectors.customer_points(user=user, customer_id=customer.pk, limit=0)
    context = {
        "form": form, "customer": customer, "cancel": _customer_page(customer.pk),
        "balance": found.balance if found else 0, "section": "customers",
    }  # fmt: skip
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "web/loyalty/adjust.html", context, status=status)
