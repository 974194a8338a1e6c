"""The loyalty pages: the overview's figures, the settings (admins; a refused value on its
field), the customer page's Points card and the adjust form (admins and managers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.loyalty.models import EntryKind, LoyaltyProgram, PointsEntry
from tenure.loyalty.services import points_earn, points_redeem
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def test_the_overview_counts_the_callers_book(client, program_on):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    own, other = make_customer(owner=mine), make_customer()
    now = timezone.now()
    points_earn(by=None, customer_id=own.pk, key="a", now=now, points=120)
    points_earn(by=None, customer_id=other.pk, key="b", now=now, points=1000)
    points_redeem(by=None, customer_id=own.pk, points=20, key="c", now=now)
    client.force_login(mine)
    page = client.get("/loyalty/")
    assert page.status_code == 200
    figures = page.context["figures"]
    assert (figures.members, figures.outstanding, figures.earned, figures.redeemed) == (
        1, 100, 120, 20
    )  # fmt: skip
    client.force_login(make_user(role=Role.MANAGER))
    assert client.get("/loyalty/").context["figures"].outstanding == 1100


@pytest.mark.parametrize(("rate", "words"), [("10", "10 points"), ("2.5000", "2.5 points")])
def test_the_overview_writes_the_rate_as_people_do(client, program_on, rate, words):
    LoyaltyProgram.objects.update(points_per_unit=Decimal(rate))
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get("/loyalty/").content.decode()
    assert f"{words} per currency unit" in page
    assert "E+" not in page
    assert "for one order" not in page
    LoyaltyProgram.objects.update(max_points_per_order=500)
    assert "at most 500 for one order" in client.get("/loyalty/").content.decode()


def test_settings_are_the_admins_and_refuse_a_positive_floor(client, db):
    client.force_login(make_user(role=Role.MANAGER))
    assert client.get("/loyalty/settings/").status_code == 403
    client.force_login(make_user(role=Role.ADMIN))
    form = {
        "enabled": "on", "points_per_unit": "2.5", "rounding": "half_up",
        "lot_lifetime_days": "", "negative_floor": "10", "refund_window_days": "30",
    }  # fmt: skip
    refused = client.post("/loyalty/settings/", form)
    assert refused.status_code == 422
    assert "negative_floor" in refused.context["form"].errors
    saved = client.post("/loyalty/settings/", {**form, "negative_floor": "-200"})
    assert saved.status_code == 302
    program = LoyaltyProgram.objects.get()
    assert (program.enabled, program.points_per_unit, program.lot_lifetime_days) == (
        True, Decimal("2.5"), None
    )  # fmt: skip
    assert program.negative_floor == -200


def test_the_customer_page_shows_the_points_and_managers_adjust(client, program_on):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="a", now=timezone.now(), points=75)
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-points"' in page and "75 points" in page
    assert "Adjust points" not in page
    assert client.get(f"/customers/{customer.pk}/points/adjust/").status_code == 403
    client.force_login(make_user(role=Role.MANAGER))
    form = client.get(f"/customers/{customer.pk}/points/adjust/")
    key = form.context["form"].initial["key"]
    url = f"/customers/{customer.pk}/points/adjust/"
    done = client.post(url, {"points": "-25", "cause": "damaged parcel", "key": key})
    assert done.status_code == 302
    again = client.post(url, {"points": "-25", "cause": "damaged parcel", "key": key})
    assert again.status_code == 302  # the same form sent twice: one adjustment
    adjusted = PointsEntry.objects.get(kind=EntryKind.ADJUST)
    assert (adjusted.points, adjusted.cause) == (-25, "damaged parcel")
    history = client.get(f"/customers/{customer.pk}/points/").content.decode()
    assert "damaged parcel" in history and "-25" in history


def test_a_success_manager_finds_no_other_points_page(client, program_on):
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))
    assert client.get(f"/customers/{make_customer().pk}/points/").status_code == 404
