"""The referral pages: all referrals through codes (``/loyalty/referrals/``: over one's book,
blocked ones with their reason, "Unblock" for admins), the override form (admins, with a
reason), the program's settings (admins), a customer's code made or revoked from the
customer page's "Referrals" card (``web/referrals/_customer_card.html``, ``referrals_web``
tags), and the public link page ``/r/<code>/``. Every write goes through
``tenure.referrals.services``.

The link page names the referrer by first name only ("Ann invited you"), never the last
name, email or anything else: the person opening it got the link from the referrer, who
shared it to be recognised, and a first name alone identifies no one to a stranger who finds
the link posted somewhere; a customer without a first name (or erased: their code is gone)
is not named at all. Requests are counted per address in Django's cache in a fixed window,
as the survey page does; past the limit the answer is 429. GET only: it changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tenure.access import require, sees_all
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.referrals import selectors, services
from tenure.referrals.models import MAX_REWARD_POINTS, AttributionStatus, ReferralProgram
from tenure.surveys.sending import business_name
from tenure.web.forms import LimitedForm
from tenure.web.rate_limits import client_address, counted
from tenure.web.views._records import GET_POST, changer, form_page, form_save, sent
from tenure.web.views._render import signed_in_user
from tenure.web.views.pagination import page_number, paginate

WINDOW_SECONDS = 600
PER_ADDRESS = 60


class OverrideForm(LimitedForm):
    reason = forms.CharField(max_length=200, label="Why unblock it",
                             help_text="kept with the referral, beside your name")  # fmt: skip
    rows = (("reason",),)


class ProgramForm(LimitedForm):
    referrer_points = forms.IntegerField(
        min_value=0, max_value=MAX_REWARD_POINTS, label="Points for the customer who referred",
        help_text="0: none",
    )  # fmt: skip
    referred_points = forms.IntegerField(
        min_value=0, max_value=MAX_REWARD_POINTS, label="Points for the customer referred",
        help_text="0: none",
    )  # fmt: skip
    signup_url = forms.URLField(
        required=False, max_length=500, label="Sign-up page", assume_scheme="https",
        help_text="where the link page sends a person invited (with ?referral_code=CODE)",
    )  # fmt: skip
    rows = (("referrer_points", "referred_points"), ("signup_url",))


@login_required
def referrals_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", "")
    rows = selectors.attributions_visible(user=user)
    if status in AttributionStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = paginate(rows, number=page_number(request.GET.get("page")), per_page=50)
    context = {
        "page": page, "status": status, "statuses": AttributionStatus.choices,
        "program": selectors.program(), "may_override": user.role == "admin",
        "names": sees_all(user),
        "section": "loyalty",
    }  # fmt: skip
    return render(request, "web/referrals/list.html", context)


@login_required
@GET_POST
def referral_override(request: HttpRequest, attribution_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    found = selectors.attributions_visible(user=user).filter(pk=attribution_id).first()
    if found is None:
        raise Http404("no such record")
    form = OverrideForm(sent(request))

    def write() -> object:
        return services.referral_override(
            by=user, attribution_id=found.pk, reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )  # fmt: skip

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Referral unblocked: it is rewarded like any other.")
        return redirect("web:referrals")
    return form_page(
        request, form, title=f"Unblock referral {found.pk}",
        crumbs=[("Loyalty", reverse("web:loyalty")), ("Referrals", reverse("web:referrals"))],
        cancel=reverse("web:referrals"), submit="Unblock", section="loyalty",
        intro=f"Blocked because: {found.blocked_reason or found.reason}. Unblocked, it counts "
        "as a referral (the referrer becomes an advocate) and its first order is rewarded once "
        "it outlives the refund window.",
    )  # fmt: skip


@login_required
@GET_POST
def referral_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    current = selectors.program()
    names = ("referrer_points", "referred_points", "signup_url")
    form = ProgramForm(sent(request), initial={name: getattr(current, name) for name in names})

    def write() -> ReferralProgram:
        return services.program_update(by=user, changes=form.cleaned_data)

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Referral rewards saved.")
        return redirect("web:referrals")
    return form_page(
        request, form, title="Referral rewards", cancel=reverse("web:referrals"),
        crumbs=[("Loyalty", reverse("web:loyalty")), ("Referrals", reverse("web:referrals"))],
        submit="Save", section="loyalty",
        intro="Both customers earn their points once the referred customer's first order "
        "outlives the loyalty program's refund window.",
    )  # fmt: skip


def _card(customer_id: int) -> str:
    return reverse("web:customer", args=[customer_id]) + "#customer-referrals"


@login_required
@require_POST
def customer_code_make(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    code, new = services.code_make(by=user, customer_id=customer_id, now=timezone.now())
    if new:
        messages.success(request, f"Referral code {code.code} made.")
    return redirect(_card(customer_id))


@login_required
@require_POST
def customer_code_revoke(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    code = services.code_revoke(by=user, customer_id=customer_id, now=timezone.now())
    if code is None:
        messages.info(request, "This customer has no live referral code.")
    else:
        messages.success(request, f"Referral code {code.code} revoked: it brings nobody new.")
    return redirect(_card(customer_id))


@login_required
@require_POST
def customer_referred_by(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Attribute the customer to the code that brought them, typed on their card."""
    user = changer(request)
    try:
        attribution, new = services.referral_attribute(
            by=user, code=request.POST.get("code", "")[:40], customer_id=customer_id,
            now=timezone.now(),
        )  # fmt: skip
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    except Conflict as refused:
        messages.error(request, str(refused))
    else:
        said = "Referral recorded" if new else "Already recorded"
        if attribution.status == AttributionStatus.BLOCKED:
            said += f", and blocked: {attribution.reason}"
        messages.success(request, f"{said}.")
    return redirect(_card(customer_id))


def _limited(request: HttpRequest) -> bool:
    limit = getattr(settings, "REFERRAL_RATE_PER_ADDRESS", PER_ADDRESS)
    return counted(f"referral-rate:ip:{client_address(request)}", WINDOW_SECONDS) > limit


def _public(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("business", business_name())
    context.setdefault("language", "en")
    return render(request, f"web/referrals/{template}", context, status=status)


@never_cache
@require_GET
def referral_link(request: HttpRequest, code: str) -> HttpResponse:
    if _limited(request):
        return _public(request, "public_refused.html", 429, title="Too many attempts",
                       words="Please wait a few minutes and try again.")  # fmt: skip
    found = selectors.code_find(code[:40])
    if found is None:
        return _public(request, "public_refused.html", 404, title="This link does not work",
                       words="It may have been copied incompletely. Please use the link "
                       "exactly as you received it.")  # fmt: skip
    if found.revoked_at is not None:
        return _public(request, "public_refused.html", 410, title="This invitation has ended",
                       words="The link no longer brings a referral. You are welcome all the "
                       "same.")  # fmt: skip
    signup_url = selectors.program().signup_url
    if signup_url:
        joiner = "&" if "?" in signup_url else "?"
        signup_url = f"{signup_url}{joiner}{urlencode({'referral_code': found.code})}"
    return _public(request, "public_link.html", code=found.code, signup_url=signup_url,
                   first_name=found.customer.first_name.strip())  # fmt: skip
