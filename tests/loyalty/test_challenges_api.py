"""/api/v1/loyalty/challenges and the challenges' pages: every role against every operation,
a retried POST with the same Idempotency-Key, bad input 422 on its field, a customer's
progress over the caller's book; the pages (managers edit, names escaped, CSRF) and the
customer's points page with its "Challenges" card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tenure.loyalty.challenges import challenge_create
from tenure.loyalty.models import Challenge
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]
BODY = {"name": "Three in 60", "kind": "orders_count", "target_count": 3, "window_days": 60,
        "bonus_points": 100}  # fmt: skip


def made(now=None, **more) -> Challenge:
    now = now or timezone.now()
    return challenge_create(by=None, data={**BODY, **more}, now=now)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_and_admins_and_managers_change(client, program_on, role):
    api = Api(client, role=role)
    challenge = made()
    assert api.get("/loyalty/challenges").json()["items"][0]["id"] == challenge.pk
    assert api.get(f"/loyalty/challenges/{challenge.pk}").json()["name"] == "Three in 60"
    curator = role in (Role.ADMIN, Role.MANAGER)
    created = api.post("/loyalty/challenges", BODY)
    assert created.status_code == (201 if curator else 403), created.content
    patched = api.patch(f"/loyalty/challenges/{challenge.pk}", {"name": "Trio"})
    assert patched.status_code == (200 if curator else 403), patched.content
    challenge.refresh_from_db()
    assert challenge.name == ("Trio" if curator else "Three in 60")
    assert Challenge.objects.count() == (2 if curator else 1)


def test_a_customers_progress_is_over_the_callers_book(client, program_on):
    now = timezone.now()
    challenge = made(now=now, starts_at=(now - timedelta(days=90)).isoformat())
    mine = make_user(role=Role.SUCCESS_MANAGER)
    own, other = make_customer(owner=mine), make_customer()
    make_order(customer=own, placed_at=now - timedelta(days=10))
    api = Api(client, user=mine)
    body = api.get(f"/loyalty/customers/{own.pk}/challenges").json()
    [row] = body["challenges"]
    assert (row["challenge"]["id"], row["progress"], row["target"]) == (challenge.pk, "1", "3")
    assert (row["words"], row["days_left"], row["awarded"]) == (
        "1 of 3 orders, 50 days left", 50, False
    )  # fmt: skip
    assert api.get(f"/loyalty/customers/{other.pk}/challenges").status_code == 404
    assert api.get("/loyalty/challenges/999999").status_code == 404


def test_a_retried_post_with_the_same_idempotency_key_makes_one_challenge(client, program_on):
    api = Api(client, role=Role.MANAGER)
    first = api.post("/loyalty/challenges", BODY, **{"Idempotency-Key": "c-1"})
    again = api.post("/loyalty/challenges", BODY, **{"Idempotency-Key": "c-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Challenge.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "kind": "spend"}, "target_amount"),
        ({**BODY, "kind": "new_product_line"}, "sku_prefix"),
        ({**BODY, "kind": "levels"}, "kind"),
        ({**BODY, "window_days": 0}, "window_days"),
        ({**BODY, "bonus_points": 0}, "bonus_points"),
        ({**BODY, "target_count": None}, "target_count"),
        ({**BODY, "starts_at": "2027-01-01T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
         "ends_at"),
        ({**BODY, "starts_at": "2027-01-01T00:00:00"}, "starts_at"),  # no offset
        ({**BODY, "min_amount": "-1"}, "min_amount"),
    ],
)  # fmt: skip
def test_bad_input_is_422_naming_the_field(client, program_on, body, field):
    response = Api(client, role=Role.ADMIN).post("/loyalty/challenges", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Challenge.objects.exists()


def test_a_rule_changed_after_a_completion_is_409(client, program_on):
    from tenure.events.consumers import consumer_drain
    from tenure.loyalty.challenges import FOLLOWER

    now = timezone.now()
    challenge = made(now=now, starts_at=(now - timedelta(days=9)).isoformat())
    customer = make_customer()
    for days_ago in (3, 2, 1):
        make_order(customer=customer, placed_at=now - timedelta(days=days_ago))
    consumer_drain(FOLLOWER)
    api = Api(client, role=Role.MANAGER)
    response = api.patch(f"/loyalty/challenges/{challenge.pk}", {"target_count": 4})
    assert response.status_code == 409
    assert "make a new challenge" in response.json()["error"]["message"]


# --- pages ---------------------------------------------------------------------------------


def test_the_list_escapes_names_and_only_curators_see_edit(client, program_on):
    made(name="<b>Bold</b> & co", description="<script>x</script>")
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get("/loyalty/challenges/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and "<b>Bold" not in html
    assert "<script>x" not in html and "/loyalty/challenges/new/" not in html
    assert client.get("/loyalty/challenges/new/").status_code == 403
    client.force_login(make_user(role=Role.MANAGER))
    assert "/loyalty/challenges/new/" in client.get("/loyalty/challenges/").content.decode()


def test_a_manager_makes_and_edits_a_challenge_through_the_form(client, program_on):
    manager = make_user(role=Role.MANAGER)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    form = {"name": "Spend 200", "kind": "spend", "target_amount": "200", "window_days": "30",
            "bonus_points": "50", "active": "on"}  # fmt: skip
    assert strict.post("/loyalty/challenges/new/", form).status_code == 403  # no CSRF token
    client.force_login(manager)
    refused = client.post("/loyalty/challenges/new/", {**form, "target_amount": ""})
    assert refused.status_code == 422
    assert "target_amount" in refused.context["form"].errors
    assert client.post("/loyalty/challenges/new/", form).status_code == 302
    challenge = Challenge.objects.get()
    assert (challenge.kind, challenge.target_amount, challenge.bonus_points) == ("spend", 200, 50)
    edited = client.post(f"/loyalty/challenges/{challenge.pk}/edit/", {**form, "name": "S2"})
    assert edited.status_code == 302
    challenge.refresh_from_db()
    assert challenge.name == "S2"


def test_the_customers_points_page_loads_the_challenges_card(client, program_on):
    now = timezone.now()
    made(now=now, name="<i>Trio</i>", starts_at=(now - timedelta(days=90)).isoformat())
    customer = make_customer()
    make_order(customer=customer, placed_at=now - timedelta(days=5))
    make_order(customer=customer, placed_at=now - timedelta(days=4))
    client.force_login(make_user(role=Role.MANAGER))
    points = client.get(f"/customers/{customer.pk}/points/").content.decode()
    url = f"/customers/{customer.pk}/points/challenges/"
    assert f'hx-get="{url}"' in points
    card = client.get(url, headers={"HX-Request": "true"})
    html = card.content.decode()
    assert "2 of 3 orders, 55 days left" in html
    assert "&lt;i&gt;Trio&lt;/i&gt;" in html and "<i>Trio" not in html
    assert "<html" not in html  # the fragment only
    assert "<html" in client.get(url).content.decode()  # without htmx: a page
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))
    assert client.get(url).status_code == 404  # not in their book
