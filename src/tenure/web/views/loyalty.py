"""The loyalty pages: the program's overview (``/loyalty/``: members, outstanding points,
this month's movements, over the customers one sees), its settings (``/loyalty/settings/``,
admins), a customer's whole points history (``/customers/<id>/points/``) and the adjust form
(admins and managers). The customer page's "Points" card is ``web/loyalty/_customer_points.html``
(``loyalty_web`` tags). Every write goes through ``tenure.loyalty.services``."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from tenure.access import AccessDenied, require, sees_all
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.loyalty import selectors, services, tiers
from tenure.loyalty.models import LoyaltyProgram, LoyaltyTier, Rounding, TierBasis, TierPeriod
from tenure.rewards.selectors import customer_coupons
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
    max_points_per_order = forms.IntegerField(
        required=False, min_value=1, max_value=10_000_000, label="Most points for one order",
        help_text="the tier's multiplier included; empty: no cap",
    )  # fmt: skip
    rows = (("enabled",), ("points_per_unit", "rounding"), ("lot_lifetime_days",),
            ("max_points_per_order",), ("negative_floor", "refund_window_days"))  # fmt: skip


TIER_LINE_HELP = (
    "One tier a line, lowest first: name | threshold | multiplier | benefits, each benefit "
    '"name: description" and separated by ";". E.g. Gold | 1000 | 1.5 | Free shipping: on '
    "every order; Priority support"
)


class TiersForm(LimitedForm):
    basis = forms.ChoiceField(choices=TierBasis.choices, label="Qualify on")
    period = forms.ChoiceField(choices=TierPeriod.choices, label="Over")
    window_days = forms.IntegerField(
        min_value=1, max_value=3650, label="Rolling window (days)", initial=365,
        help_text="only for a rolling window",
    )  # fmt: skip
    tiers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=20_000,
        help_text=TIER_LINE_HELP,
    )  # fmt: skip
    rows = (("basis", "period", "window_days"), ("tiers",))

    def clean_tiers(self) -> list[dict[str, Any]]:
        known = {row.name.casefold(): row.pk for row in selectors.tiers()}
        parsed = []
        for n, line in enumerate(self.cleaned_data["tiers"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) < 2 or len(parts) > 4:
                raise ValidationError(f"line {n}: name | threshold | multiplier | benefits")
            name, threshold = parts[0], parts[1].replace(",", "")
            multiplier = parts[2] if len(parts) > 2 and parts[2] else "1"
            benefits = []
            for benefit in (parts[3] if len(parts) > 3 else "").split(";"):
                if benefit.strip():
                    title, _, description = benefit.partition(":")
                    benefits.append({"name": title.strip(), "description": description.strip()})
            parsed.append({"id": known.get(name.casefold()), "name": name, "threshold": threshold,
                           "multiplier": multiplier, "benefits": benefits})  # fmt: skip
        return parsed


def tier_lines(rows: list[LoyaltyTier]) -> str:
    """The tiers as the form's lines."""
    lines = []
    for row in rows:
        benefits = "; ".join(
            f"{b['name']}: {b['description']}" if b.get("description") else b["name"]
            for b in row.benefits
        )
        line = f"{row.name} | {row.threshold.normalize():f} | {row.multiplier.normalize():f}"
        lines.append(f"{line} | {benefits}" if benefits else line)
    return "\n".join(lines)


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
    program = selectors.program()
    context = {
        "figures": selectors.overview(user=user, now=timezone.now()),
        "program": program,
        # Decimal's normalize() writes 10 as 1E+1: fixed-point, without trailing zeros.
        "rate": f"{program.points_per_unit.normalize():f}",
        "tier_mix": selectors.tier_mix(user=user),
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
              "refund_window_days", "max_points_per_order")  # fmt: skip
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
@GET_POST
def tier_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    current = selectors.program()
    initial = {
        "basis": current.tier_basis, "period": current.tier_period,
        "window_days": current.tier_window_days, "tiers": tier_lines(selectors.tiers()),
    }  # fmt: skip
    form = TiersForm(sent(request), initial=initial)

    def write() -> object:
        data = form.cleaned_data
        try:
            return tiers.tiers_update(
                by=user, basis=data["basis"], period=data["period"],
                window_days=data["window_days"], tiers=data["tiers"],
            )  # fmt: skip
        except ValidationError as refused:  # "tiers[1].threshold" said as the form's line
            if not hasattr(refused, "error_dict"):
                raise
            said = {
                _line_field(name): [f"{_line_words(name)}{message}" for message in messages_]
                for name, messages_ in refused.message_dict.items()
            }
            raise ValidationError(said) from None

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Loyalty tiers saved.")
        return redirect("web:loyalty")
    return form_page(
        request, form, title="Loyalty tiers",
        crumbs=[("Loyalty", reverse("web:loyalty"))], cancel=reverse("web:loyalty"),
        submit="Save tiers", section="loyalty",
        intro="A customer rises to a tier the moment their points earned (or their spend) reach "
        "its threshold, and drops only at a review: each January 1st for the calendar year (a "
        "tier earned this year is kept through the next), each day for a rolling window, never "
        "for lifetime. A tier's multiplier applies to the points of its holders' orders.",
    )  # fmt: skip


def _line_field(name: str) -> str:
    return "tiers" if name.startswith("tiers") else name


def _line_words(name: str) -> str:
    found = re.match(r"tiers\[(\d+)\]\.?(\w*)", name)
    if found is None:
        return ""
    return f"line {int(found.group(1)) + 1}{', ' + found.group(2) if found.group(2) else ''}: "


@login_required
def customer_points(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.customer_points(user=user, customer_id=customer_id, limit=500)
    if found is None:
        raise Http404("no such record")
    context = {
        "points": found, "customer": found.customer, "section": "customers",
        "coupons": customer_coupons(user=user, customer_id=customer_id), "now": timezone.now(),
    }  # fmt: skip
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
