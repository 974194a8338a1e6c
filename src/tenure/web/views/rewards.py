"""The rewards catalog and the coupons' pages: ``/loyalty/rewards/`` (every role reads the
catalog; admins and managers add and edit), ``/loyalty/coupons/`` (the coupons with their
uses, over one's book), a coupon's page with its redemptions, and the form that makes a
coupon (admins and managers). Every write goes through ``tenure.rewards.services``."""

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
from tenure.loyalty.services import MAX_POINTS
from tenure.rewards import selectors, services
from tenure.rewards.models import CouponKinds, Reward, RewardKind
from tenure.users.models import User
from tenure.web.forms import LimitedForm
from tenure.web.views._records import GET_POST, form_page, form_save, sent
from tenure.web.views._render import signed_in_user

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RewardForm(LimitedForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    points_cost = forms.IntegerField(min_value=1, max_value=MAX_POINTS, label="Points")
    stock = forms.IntegerField(
        min_value=0, max_value=MAX_POINTS, required=False, help_text="empty: unlimited"
    )
    active = forms.BooleanField(required=False, initial=True, label="Offered")
    kind = forms.ChoiceField(choices=RewardKind.choices, label="Gives")
    coupon_kind = forms.ChoiceField(
        choices=[("", "(not a coupon)"), *CouponKinds.choices], required=False, label="Coupon"
    )
    coupon_value = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False, label="Percent or amount off"
    )
    coupon_min_order = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False, label="Minimum order"
    )
    coupon_valid_days = forms.IntegerField(
        min_value=1, max_value=36500, required=False, label="Coupon valid for (days)",
        help_text="empty: no expiry",
    )  # fmt: skip
    rows = (("name",), ("description",), ("points_cost", "stock"), ("active",),
            ("kind", "coupon_kind"), ("coupon_value", "coupon_min_order"),
            ("coupon_valid_days",))  # fmt: skip


class CouponForm(LimitedForm):
    code = forms.CharField(max_length=40, required=False, help_text="empty: a code is drawn")
    kind = forms.ChoiceField(choices=CouponKinds.choices)
    value = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        label="Percent or amount off",
        help_text="free shipping: empty",
    )
    description = forms.CharField(max_length=200, required=False)
    min_order = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False, label="Minimum order"
    )
    max_uses = forms.IntegerField(
        min_value=1, max_value=MAX_POINTS, required=False, help_text="empty: no limit"
    )
    per_customer_limit = forms.IntegerField(
        min_value=1, max_value=MAX_POINTS, required=False, label="Uses per customer"
    )
    valid_from = forms.DateTimeField(required=False, widget=MOMENT)
    expires_at = forms.DateTimeField(required=False, widget=MOMENT, label="Expires")
    customer_id = forms.IntegerField(
        min_value=1, required=False, label="Only for customer (id)", help_text="empty: anyone"
    )
    rows = (("code", "kind"), ("value", "min_order"), ("description",),
            ("max_uses", "per_customer_limit"), ("valid_from", "expires_at"),
            ("customer_id",))  # fmt: skip


def _curator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    if not sees_all(user, Action.CHANGE):
        raise AccessDenied("only admins and managers make coupons and rewards")
    return user


def _may_curate(user: User) -> bool:
    return sees_all(user, Action.CHANGE)


@login_required
def rewards(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "rewards": selectors.rewards_list(user=user)[:500],
        "may_edit": _may_curate(user),
        "section": "loyalty",
    }
    return render(request, "web/rewards/rewards.html", context)


def _reward_form_page(request: HttpRequest, form: RewardForm, title: str) -> HttpResponse:
    return form_page(
        request, form, title=title, crumbs=[("Rewards", reverse("web:rewards"))],
        cancel=reverse("web:rewards"), submit="Save reward", section="loyalty",
        intro="A customer buys a reward with points; a coupon reward issues a single-use "
        "coupon tied to them.",
    )  # fmt: skip


@login_required
@GET_POST
def reward_new(request: HttpRequest) -> HttpResponse:
    user = _curator(request)
    form = RewardForm(sent(request), initial={"active": True})

    def write() -> Reward:
        return services.reward_create(by=user, data=_reward_data(form), now=timezone.now())

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Reward added.")
        return redirect("web:rewards")
    return _reward_form_page(request, form, "New reward")


def _reward_data(form: RewardForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["coupon_kind"] = data.get("coupon_kind") or ""
    return data


@login_required
@GET_POST
def reward_edit(request: HttpRequest, reward_id: int) -> HttpResponse:
    user = _curator(request)
    reward = selectors.reward_get(reward_id=reward_id)
    if reward is None:
        raise Http404("no such record")
    initial = {name: getattr(reward, name) for name in RewardForm.base_fields}
    form = RewardForm(sent(request), initial=initial)

    def write() -> Reward:
        return services.reward_update(by=user, reward_id=reward.pk, changes=_reward_data(form))

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Reward saved.")
        return redirect("web:rewards")
    return _reward_form_page(request, form, f"Edit {reward.name}")


@login_required
def coupons(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "coupons": selectors.coupons_list(user=user)[:500],
        "may_edit": _may_curate(user),
        "now": timezone.now(),
        "section": "loyalty",
    }
    return render(request, "web/rewards/coupons.html", context)


@login_required
@GET_POST
def coupon_new(request: HttpRequest) -> HttpResponse:
    user = _curator(request)
    form = CouponForm(sent(request), initial={"kind": CouponKinds.PERCENT})

    def write() -> Any:
        return services.coupon_create(by=user, data=form.cleaned_data, now=timezone.now())

    if request.method == "POST":
        made = form_save(form, write)
        if made is not None:
            messages.success(request, f"Coupon {made.code} made.")
            return redirect("web:coupon", made.pk)
    return form_page(
        request, form, title="New coupon", crumbs=[("Coupons", reverse("web:coupons"))],
        cancel=reverse("web:coupons"), submit="Make coupon", section="loyalty",
        intro="Codes are case-insensitive: SUMMER10 and summer10 are one code.",
    )  # fmt: skip


@login_required
def coupon(request: HttpRequest, coupon_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.coupon_detail(user=user, coupon_id=coupon_id)
    if found is None:
        raise Http404("no such record")
    context = {"detail": found, "coupon": found.coupon, "section": "loyalty"}
    return render(request, "web/rewards/coupon.html", context)
