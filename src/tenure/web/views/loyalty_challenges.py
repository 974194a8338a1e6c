"""The loyalty challenges' pages: ``/loyalty/challenges/`` (every role reads; admins and
managers add, edit and stop them) and a customer's progress (``/customers/<id>/points/
challenges/``: a page, or the fragment the customer's points page loads into its
"Challenges" card). Every write goes through ``tenure.loyalty.challenges``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from tenure.access import AccessDenied, require, sees_all
from tenure.domain.access import Action
from tenure.domain.challenges import MAX_COUNT, MAX_WINDOW_DAYS, PREFIX_MAX
from tenure.loyalty import challenges as service
from tenure.loyalty.models import Challenge, ChallengeKind
from tenure.loyalty.services import MAX_POINTS
from tenure.users.models import User
from tenure.web.forms import LimitedForm
from tenure.web.views._records import GET_POST, form_page, form_save, sent
from tenure.web.views._render import signed_in_user

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChallengeForm(LimitedForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea, help_text="shown to customers"
    )
    kind = forms.ChoiceField(choices=ChallengeKind.choices)
    target_count = forms.IntegerField(
        min_value=1, max_value=MAX_COUNT, required=False, label="Orders",
        help_text="orders within a window",
    )  # fmt: skip
    target_amount = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False, label="Spend",
        help_text="spend within a window",
    )  # fmt: skip
    window_days = forms.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS, required=False, label="Within (days)",
        help_text="any window of so many days; empty: while the challenge runs",
    )  # fmt: skip
    min_amount = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False, label="Each order at least"
    )
    sku_prefix = forms.CharField(
        max_length=PREFIX_MAX, required=False, label="Product line (SKU prefix)",
        help_text="new product line: a line whose SKU starts with this",
    )  # fmt: skip
    bonus_points = forms.IntegerField(min_value=1, max_value=MAX_POINTS, label="Bonus points")
    starts_at = forms.DateTimeField(required=False, widget=MOMENT, help_text="empty: now")
    ends_at = forms.DateTimeField(required=False, widget=MOMENT, label="Ends")
    active = forms.BooleanField(required=False, initial=True)
    rows = (("name",), ("description",), ("kind", "bonus_points"),
            ("target_count", "min_amount"), ("target_amount",), ("window_days",),
            ("sku_prefix",), ("starts_at", "ends_at"), ("active",))  # fmt: skip


def _curator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    if not sees_all(user, Action.CHANGE):
        raise AccessDenied("only admins and managers make and change challenges")
    return user


@login_required
def challenges(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "challenges": service.challenges_list(user=user)[:500],
        "may_edit": sees_all(user, Action.CHANGE),
        "now": timezone.now(),
        "section": "loyalty",
    }
    return render(request, "web/loyalty/challenges.html", context)


def _form_page(request: HttpRequest, form: ChallengeForm, title: str) -> HttpResponse:
    return form_page(
        request, form, title=title, crumbs=[("Challenges", reverse("web:challenges"))],
        cancel=reverse("web:challenges"), submit="Save challenge", section="loyalty",
        intro="Completing a challenge earns its bonus points once per customer. Only orders "
        "placed while it runs count; a window is any stretch of so many days.",
    )  # fmt: skip


@login_required
@GET_POST
def challenge_new(request: HttpRequest) -> HttpResponse:
    user = _curator(request)
    form = ChallengeForm(sent(request), initial={"active": True})

    def write() -> Challenge:
        return service.challenge_create(by=user, data=form.cleaned_data, now=timezone.now())

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Challenge added.")
        return redirect("web:challenges")
    return _form_page(request, form, "New challenge")


@login_required
@GET_POST
def challenge_edit(request: HttpRequest, challenge_id: int) -> HttpResponse:
    user = _curator(request)
    challenge = service.challenges_list(user=user).filter(pk=challenge_id).first()
    if challenge is None:
        raise Http404("no such record")
    initial = {name: getattr(challenge, name) for name in ChallengeForm.base_fields}
    form = ChallengeForm(sent(request), initial=initial)

    def write() -> Challenge:
        return service.challenge_update(
            by=user, challenge_id=challenge.pk, changes=form.cleaned_data
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Challenge saved.")
        return redirect("web:challenges")
    return _form_page(request, form, f"Edit {challenge.name}")


@login_required
def customer_challenges(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's progress: the card's body for htmx, else a page of its own."""
    found = service.customer_challenges(
        user=signed_in_user(request), customer_id=customer_id, now=timezone.now()
    )
    if found is None:
        raise Http404("no such record")
    customer, standings = found
    context: dict[str, Any] = {"customer": customer, "standings": standings,
                               "section": "customers"}  # fmt: skip
    if request.headers.get("HX-Request"):
        return render(request, "web/loyalty/challenge_progress.html", context)
    return render(request, "web/loyalty/challenge_customer.html", context)
