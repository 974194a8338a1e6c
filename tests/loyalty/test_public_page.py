"""The customer's own points page by a signed link (/p/<token>/): no login, that customer's
balance, expiring points, tier and benefits, next tier, history and referral link; a
tampered, foreign or expired token gets a page in words naming no one; escaped output;
rate-limited; never cached nor indexed. The staff's link page and the mail variable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from tenure.feedback.tokens import survey_token
from tenure.loyalty.services import points_earn, points_redeem, program_update
from tenure.loyalty.tiers import customers_tiers_evaluate, tiers_update
from tenure.loyalty.tokens import points_token, points_token_read, points_url
from tenure.mail.composing import message_render
from tenure.mail.models import Message
from tenure.referrals.services import code_make
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    program_update(by=None, changes={"enabled": True, "lot_lifetime_days": 30})
    tiers_update(
        by=None, basis="points", period="lifetime", window_days=365,
        tiers=[
            {"name": "Silver", "threshold": "100", "multiplier": "1", "benefits": [
                {"name": "Free <b>shipping</b>", "description": "on every order"}]},
            {"name": "Gold", "threshold": "500", "multiplier": "1.5", "benefits": []},
        ],
    )  # fmt: skip
    customer = make_customer(first_name="Ann<script>", last_name="Quimby")
    now = timezone.now()
    points_earn(by=None, customer_id=customer.pk, key="o1", now=now, points=120,
                cause="order <i>42</i>")  # fmt: skip
    points_redeem(by=None, customer_id=customer.pk, key="r1", now=now, points=20)
    customers_tiers_evaluate(customer_ids=[customer.pk], now=now)
    return customer


def _body(response) -> str:
    return response.content.decode()


def test_the_link_shows_the_customers_points_without_a_login(client, ann):
    page = client.get(f"/p/{points_token(ann.pk)}/")
    body = _body(page)
    assert page.status_code == 200
    assert "Balance: 100 points" in body
    assert "100 points expire on" in body  # the lot lives 30 days: expiring soon
    assert '<span class="badge">Silver</span>' in body
    assert "Free &lt;b&gt;shipping&lt;/b&gt;" in body  # the business's words, escaped
    assert "Gold</span>, 380 more points to earn" in body  # 500 - 120 earned
    assert "order &lt;i&gt;42&lt;/i&gt;" in body and "-20" in body
    assert "Ann&lt;script&gt;" in body and "<script>" not in body
    assert "Quimby" not in body and ann.email not in body


def test_the_page_is_never_cached_nor_indexed(client, ann):
    page = client.get(f"/p/{points_token(ann.pk)}/")
    assert "no-cache" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in _body(page)
    assert client.post(f"/p/{points_token(ann.pk)}/").status_code == 405  # it changes nothing


def test_a_tampered_or_foreign_token_names_no_one(client, ann):
    token = points_token(ann.pk)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other = make_customer(first_name="Bob")
    for bad in (
        tampered,
        signing.dumps(other.pk),  # the secret key, but not this page's salt
        survey_token(other.pk),  # a survey invitation's token
        "x" * 500,
    ):
        page = client.get(f"/p/{bad}/")
        assert page.status_code == 404, bad
        assert "This link does not work" in _body(page)
        assert "Ann" not in _body(page) and "Bob" not in _body(page)


def test_no_parameter_reaches_another_customer(client, ann):
    bob = make_customer(first_name="Bob")
    points_earn(by=None, customer_id=bob.pk, key="b", now=timezone.now(), points=777)
    page = _body(client.get(f"/p/{points_token(ann.pk)}/", {"customer": bob.pk, "id": bob.pk}))
    assert "Balance: 100 points" in page and "777" not in page and "Bob" not in page


def test_an_expired_link_says_so(client, ann, settings):
    old = points_token(ann.pk, at=timezone.now() - timedelta(days=31))
    assert points_token_read(old) == (None, "expired")
    page = client.get(f"/p/{old}/")
    assert page.status_code == 410 and "This link has expired" in _body(page)
    assert "Ann" not in _body(page)
    settings.LOYALTY_LINK_DAYS = 60  # a business that keeps links longer
    assert points_token_read(old) == (ann.pk, "ok")
    assert client.get(f"/p/{old}/").status_code == 200


def test_a_customer_gone_or_the_program_off_is_a_page_in_words(client, ann):
    token = points_token(ann.pk)
    program_update(by=None, changes={"enabled": False})
    closed = client.get(f"/p/{token}/")
    assert closed.status_code == 410 and "Ann" not in _body(closed)
    assert client.get(f"/p/{points_token(10**9)}/").status_code == 404


def test_the_page_is_rate_limited_per_link(client, ann, settings):
    settings.LOYALTY_PAGE_RATE_PER_LINK = 2
    url = f"/p/{points_token(ann.pk)}/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_the_referral_link_and_challenges_seam(client, ann):
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    body = _body(client.get(f"/p/{points_token(ann.pk)}/"))
    assert f"/r/{code.code}/" in body
    assert "points-challenges" not in body  # no challenge defined: no section


def test_the_staff_link_page_and_who_may_open_it(client, ann):
    client.force_login(make_user(role=Role.MANAGER))
    points = _body(client.get(f"/customers/{ann.pk}/points/"))
    assert f'href="/customers/{ann.pk}/points/link/"' in points
    page = client.get(f"/customers/{ann.pk}/points/link/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    url = _body(page).split('id="points-link" readonly value="')[1].split('"')[0]
    assert url.startswith(points_url(ann.pk).split("/p/")[0] + "/p/")
    client.logout()
    assert client.get(url.split("127.0.0.1:8000")[-1]).status_code == 200
    client.force_login(make_user(role=Role.ANALYST))
    assert client.get(f"/customers/{ann.pk}/points/link/").status_code == 403


def test_emails_may_say_loyalty_link(client, ann):
    api = Api(client, role=Role.MANAGER)
    made = api.post("/mail/templates", {"name": "Points", "subject": "Your points",
                                        "text": "See {{ loyalty_link }}"})  # fmt: skip
    assert made.status_code == 201, made.content
    template_id = made.json()["id"]
    preview = api.post(f"/mail/templates/{template_id}/preview", {"customer_id": ann.pk})
    link = preview.json()["text"].removeprefix("See ")
    assert "/p/" in link
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert points_token_read(token) == (ann.pk, "ok")
    sent = api.post(f"/mail/templates/{template_id}/test", {"customer_id": ann.pk})
    message = Message.objects.get(pk=sent.json()["id"])
    rendered = message_render(message).text
    assert points_token_read(rendered.rstrip("/").rsplit("/", 1)[1]) == (ann.pk, "ok")


def test_a_token_lives_the_days_it_is_given():
    token = points_token(7)
    assert points_token_read(token) == (7, "ok")
    made = points_token(7, at=timezone.now() - timedelta(days=10))
    assert points_token_read(made, max_age_days=9) == (None, "expired")
    assert points_token_read(made, max_age_days=11) == (7, "ok")
