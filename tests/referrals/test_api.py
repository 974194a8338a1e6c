"""Every role against every referral endpoint: admins and managers everything but the
settings and the override (admins); analysts read (403 on writes); a success manager reaches
the customers of their book (another's: 404, never revealing it)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tenure.referrals.models import ReferralAttribution
from tenure.referrals.services import code_make, referral_attribute
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]


def _caller(client, role):
    sm = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=sm if role == Role.SUCCESS_MANAGER else make_user(role=role))
    own = make_customer(owner=sm, email="own@example.com")
    other = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER), email="other@example.org")
    return api, own, other


def _write(role, whose, done):
    if role == Role.ANALYST:
        return 403
    if role == Role.SUCCESS_MANAGER and whose == "other":
        return 404
    return done


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_codes_and_attribution_by_role(client, role, whose):
    api, own, other = _caller(client, role)
    target = own if whose == "own" else other
    made = api.post(f"/loyalty/referrals/customers/{target.pk}/code", {})
    assert made.status_code == _write(role, whose, 201), made.content
    read = api.get(f"/loyalty/referrals/customers/{target.pk}")
    assert read.status_code == (404 if role == Role.SUCCESS_MANAGER and whose == "other" else 200)
    referrer = make_customer(email="ref@example.net")
    code, _ = code_make(by=None, customer_id=referrer.pk, now=timezone.now())
    attributed = api.post("/loyalty/referrals/attribute",
                          {"code": code.code, "customer_id": target.pk})  # fmt: skip
    assert attributed.status_code == _write(role, whose, 201), attributed.content
    revoked = api.post(f"/loyalty/referrals/customers/{referrer.pk}/code/revoke", {})
    # The referrer is no one's book: a success manager does not reach them.
    want = 403 if role == Role.ANALYST else 404 if role == Role.SUCCESS_MANAGER else 200
    assert revoked.status_code == want, revoked.content


@pytest.mark.parametrize("role", ROLES)
def test_the_list_and_a_referral_over_ones_book(client, role):
    api, own, other = _caller(client, role)
    referrer = make_customer(email="ref@example.net")
    code, _ = code_make(by=None, customer_id=referrer.pk, now=timezone.now())
    mine, _ = referral_attribute(by=None, code=code.code, customer_id=own.pk, now=timezone.now())
    theirs, _ = referral_attribute(
        by=None, code=code.code, customer_id=other.pk, now=timezone.now()
    )
    ids = {row["id"] for row in api.get("/loyalty/referrals").json()["items"]}
    assert mine.pk in ids
    assert (theirs.pk in ids) == (role != Role.SUCCESS_MANAGER)
    one = api.get(f"/loyalty/referrals/{theirs.pk}")
    assert one.status_code == (404 if role == Role.SUCCESS_MANAGER else 200)
    assert api.get(f"/loyalty/referrals/{mine.pk}").json()["referred_customer_id"] == own.pk


@pytest.mark.parametrize("role", ROLES)
def test_the_program_is_read_by_all_and_changed_by_admins(client, role):
    api = Api(client, role=role)
    assert api.get("/loyalty/referrals/program").status_code == 200
    changed = api.client.put(
        "/api/v1/loyalty/referrals/program",
        {"referrer_points": 10, "referred_points": 5, "signup_url": "https://shop.example/join"},
        content_type="application/json", headers=api.headers,
    )  # fmt: skip
    assert changed.status_code == (200 if role == Role.ADMIN else 403), changed.content
    if role == Role.ADMIN:
        assert api.get("/loyalty/referrals/program").json()["referrer_points"] == 10
        bad = api.client.put(
            "/api/v1/loyalty/referrals/program",
            {"referrer_points": -1, "referred_points": 5},
            content_type="application/json", headers=api.headers,
        )  # fmt: skip
        assert bad.status_code == 422 and "referrer_points" in bad.json()["error"]["fields"]


def test_an_unknown_referral_is_404_to_the_override(client):
    admin = Api(client, role=Role.ADMIN)
    assert admin.post("/loyalty/referrals/999999/override", {"reason": "x"}).status_code == 404
    assert not ReferralAttribution.objects.exists()
