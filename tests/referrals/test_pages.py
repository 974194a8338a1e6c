"""The referral pages: the public link page (first name only, revoked and unknown codes,
rate-limited), the customer card making and revoking a code, the list with blocked reasons
and the admins' override form."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.referrals.models import AttributionStatus, ReferralAttribution, ReferralCode
from tenure.referrals.services import code_make, code_revoke, program_update, referral_attribute
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def test_the_link_page_names_the_first_name_only(client):
    ann = make_customer(first_name="Ann", last_name="Quimby", email="ann.quimby@example.com")
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    program_update(by=None, changes={"signup_url": "https://shop.example/join?src=a"})
    page = client.get(f"/r/{code.code.lower()}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Ann invited you" in body and code.code in body
    assert "Quimby" not in body and "example.com" not in body
    assert f"https://shop.example/join?src=a&amp;referral_code={code.code}" in body
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


def test_a_revoked_or_unknown_code_says_so_naming_no_one(client):
    ann = make_customer(first_name="Ann")
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    code_revoke(by=None, customer_id=ann.pk, now=timezone.now())
    gone = client.get(f"/r/{code.code}/")
    assert gone.status_code == 410 and "Ann" not in gone.content.decode()
    assert client.get("/r/NOSUCHCO/").status_code == 404
    assert client.post(f"/r/{code.code}/").status_code == 405  # it changes nothing


def test_the_link_page_is_rate_limited_per_address(client, settings):
    settings.REFERRAL_RATE_PER_ADDRESS = 3
    answers = [client.get("/r/NOSUCHCO/").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]


def test_the_customer_card_makes_and_revokes_a_code(client):
    sm = make_user(role=Role.SUCCESS_MANAGER)
    customer = make_customer(owner=sm)
    client.force_login(sm)
    page = client.get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert "Make a referral code" in page
    made = client.post(reverse("web:customer-referral-code", args=[customer.pk]))
    assert made.status_code == 302
    code = ReferralCode.objects.get(customer=customer)
    page = client.get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert f"/r/{code.code}/" in page and "Revoke code" in page
    client.post(reverse("web:customer-referral-code-revoke", args=[customer.pk]))
    code.refresh_from_db()
    assert code.revoked_at is not None
    other = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER))
    assert client.post(reverse("web:customer-referral-code", args=[other.pk])).status_code == 404
    client.force_login(make_user(role=Role.ANALYST))
    assert client.post(reverse("web:customer-referral-code", args=[customer.pk])).status_code == 403


def _blocked() -> ReferralAttribution:
    ann = make_customer(email="ann@example.com")
    twin = make_customer(email="ann+2@example.com")
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    attribution, _ = referral_attribute(
        by=None, code=code.code, customer_id=twin.pk, now=timezone.now()
    )
    return attribution


def test_the_list_shows_the_reason_and_admins_unblock(client):
    attribution = _blocked()
    client.force_login(make_user(role=Role.MANAGER))
    listed = client.get(reverse("web:referrals") + "?status=blocked").content.decode()
    assert "the same mailbox as the referrer" in listed
    override = reverse("web:referral-override", args=[attribution.pk])
    assert override not in listed  # no button for a manager
    assert client.post(override, {"reason": "x"}).status_code == 403
    client.force_login(make_user(role=Role.ADMIN))
    assert override in client.get(reverse("web:referrals")).content.decode()
    assert client.post(override, {"reason": ""}).status_code == 422
    done = client.post(override, {"reason": "two sisters, one inbox"})
    assert done.status_code == 302
    attribution.refresh_from_db()
    assert (attribution.status, attribution.override_reason) == (
        AttributionStatus.SIGNED_UP,
        "two sisters, one inbox",
    )
    listed = client.get(reverse("web:referrals")).content.decode()
    assert "two sisters, one inbox" in listed


def test_the_card_records_who_referred_the_customer(client):
    ann = make_customer(email="ann@example.com")
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    bea = make_customer(email="bea@example.org")
    client.force_login(make_user(role=Role.MANAGER))
    card = reverse("web:customer", args=[bea.pk])
    assert "Referred by code" in client.get(card).content.decode()
    refused = client.post(reverse("web:customer-referred-by", args=[bea.pk]), {"code": "x"},
                          follow=True)  # fmt: skip
    assert "no such referral code" in refused.content.decode()
    client.post(reverse("web:customer-referred-by", args=[bea.pk]), {"code": code.code})
    attribution = ReferralAttribution.objects.get(referred=bea)
    assert (attribution.referrer_id, attribution.status) == (ann.pk, AttributionStatus.SIGNED_UP)
    page = client.get(card).content.decode()
    assert "Referred by code" not in page and "signed up, no order yet" in page
