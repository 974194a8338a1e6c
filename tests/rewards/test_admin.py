"""The back office shows the catalog, the coupons and their uses read only: every change
goes through the services (a use is counted under the coupon's lock); a success manager's
view is their book's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tenure.rewards.models import Coupon, CouponRedemption, Reward, RewardRedemption
from tenure.rewards.services import coupon_create, coupon_redeem
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db
MODELS = [Reward, Coupon, CouponRedemption, RewardRedemption]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_each_model_is_listed_and_never_added_changed_or_deleted(client, model):
    now = timezone.now()
    coupon = coupon_create(by=None, data={"code": "ADMIN", "kind": "fixed", "value": "5"}, now=now)
    coupon_redeem(by=None, code="ADMIN", customer_id=make_customer().pk, key="k", now=now,
                  order_amount=Decimal("20"))  # fmt: skip
    admin_user = make_user(role=Role.ADMIN)
    client.force_login(admin_user)
    opts = model._meta
    listed = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert listed.status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    request = listed.wsgi_request
    model_admin = admin.site._registry[model]
    assert not model_admin.has_change_permission(request, coupon)
    assert not model_admin.has_delete_permission(request, coupon)


def test_a_success_managers_coupons_are_their_books(rf):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    now = timezone.now()
    coupon_create(by=None, data={"code": "ANYONE", "kind": "fixed", "value": "5"}, now=now)
    coupon_create(by=None, data={"code": "MINE", "kind": "fixed", "value": "5",
                                 "customer_id": make_customer(owner=mine).pk}, now=now)  # fmt: skip
    coupon_create(by=None, data={"code": "THEIRS", "kind": "fixed", "value": "5",
                                 "customer_id": make_customer().pk}, now=now)  # fmt: skip
    request = rf.get("/")
    request.user = mine
    shown = admin.site._registry[Coupon].get_queryset(request)
    assert {c.code for c in shown} == {"ANYONE", "MINE"}
