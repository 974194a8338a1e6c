"""Appreciation's pages: the team's list (filter by period, kind and the account's owner, with
the total cost) and the form that records one from an account's page. Reads are scoped by the
accounts one sees; the writes are ``tenure.success.appreciation``'s (an analyst changes
nothing, a success manager their own accounts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenure.access.filtering import InvalidFilters
from tenure.customers.models import Account, Contact, Customer
from tenure.success.appreciation import Totals, appreciation_record, appreciation_totals
from tenure.success.appreciation_filters import AppreciationFilterSet
from tenure.success.models import Appreciation, AppreciationKind
from tenure.users.models import User
from tenure.web.forms import LimitedForm
from tenure.web.views._records import GET_POST, changeable, changer, form_page, form_save, sent
from tenure.web.views._render import signed_in_user

SHOWN = 200
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AppreciationForm(LimitedForm):
    kind = forms.ChoiceField(choices=AppreciationKind.choices)
    given_on = forms.DateField(label="Given on", widget=DATE)
    description = forms.CharField(required=False, max_length=500)
    cost = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial="0.00")
    currency = forms.CharField(min_length=3, max_length=3)
    contact = forms.TypedChoiceField(label="Person", coerce=int, required=False, empty_value=None)
    customer = forms.TypedChoiceField(
        label="Customer", coerce=int, required=False, empty_value=None
    )
    rows = [("kind", "given_on"), ("description",), ("cost", "currency"), ("contact", "customer")]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = Contact.objects.filter(account=account)
        customers = Customer.objects.filter(account=account).order_by("pk")[:200]
        self.fields["contact"].choices = [("", "—")] + [(c.pk, str(c)) for c in contacts]  # type: ignore[attr-defined]
        self.fields["customer"].choices = [("", "—")] + [(c.pk, str(c)) for c in customers]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["contact_id"] = data.pop("contact")
        data["customer_id"] = data.pop("customer")
        return data


@login_required
@GET_POST
def appreciation_new(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    initial = {"given_on": timezone.localdate(), "currency": settings.TENURE_CURRENCY,
               "kind": AppreciationKind.THANK_YOU_NOTE}  # fmt: skip
    form = AppreciationForm(sent(request), initial=initial, account=account)
    page = reverse("web:account", args=[account.pk]) + "#appreciation"

    def write() -> tuple[Appreciation, bool]:
        return appreciation_record(
            by=user, account_id=account.pk, data=form.values(), now=timezone.now()
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Appreciation recorded.")
        return redirect(page)
    return form_page(
        request, form, title=f"Thank {account}", cancel=page, submit="Record",
        crumbs=[("Accounts", reverse("web:accounts")), (str(account), page)], section="accounts",
        intro="A gift, a thank-you note or an invitation, with what it cost.",
    )  # fmt: skip


def _owners() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("username")]


@login_required
@require_http_methods(["GET"])
def appreciations(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    chosen = AppreciationFilterSet.of(user, request.GET)
    errors: dict[str, list[str]] = {}
    totals: Totals | None = None
    rows: list[Appreciation] = []
    try:
        found = chosen.filtered().select_related("account", "contact", "customer", "given_by")
        rows, totals = list(found.order_by("-given_on", "-id")[:SHOWN]), appreciation_totals(found)
    except InvalidFilters as refused:
        errors = refused.fields
    context = {
        "rows": rows,
        "totals": totals,
        "values": chosen.values(),
        "kinds": AppreciationKind.choices,
        "owners": _owners(),
        "errors": errors,
        "year_start": date(timezone.localdate().year, 1, 1),
        "section": "accounts",
    }
    return render(request, "web/appreciation/list.html", context, status=422 if errors else 200)
