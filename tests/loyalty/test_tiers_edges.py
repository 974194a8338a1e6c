"""The tiers' edges: GET / PUT /api/v1/loyalty/tiers (every role reads, admins change: an
analyst and a success manager 403), the customer's tier in the points GET, the tiers page
(admins), the Points card's tier and benefits, the overview's tier mix, `tenure loyalty tiers`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.loyalty import loyalty
from tenure.loyalty.models import LoyaltyProgram, LoyaltyTier
from tenure.loyalty.services import points_earn
from tenure.loyalty.tiers import customers_tiers_evaluate, tiers_update
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

BODY = {
    "basis": "points",
    "period": "rolling",
    "window_days": 90,
    "tiers": [
        {"name": "Silver", "threshold": "500", "multiplier": "1.25"},
        {"name": "Gold", "threshold": "1000", "multiplier": "1.5",
         "benefits": [{"name": "Free shipping", "description": "on every order"}]},
    ],
}  # fmt: skip


def put(client, caller: Api, body: dict):
    return client.put("/api/v1/loyalty/tiers", body, content_type="application/json",
                      headers=caller.headers)  # fmt: skip


def gold_customer(owner=None):
    tiers_update(by=None, **BODY)
    customer = make_customer(owner=owner)
    now = timezone.now()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=now, points=1200)
    customers_tiers_evaluate(customer_ids=[customer.pk], now=now)
    return customer


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.MANAGER, 403), (Role.ANALYST, 403), (Role.SUCCESS_MANAGER, 403)],
)
def test_every_role_reads_the_tiers_only_admins_change_them(client, db, role, status):
    caller = Api(client, role=role)
    assert caller.get("/loyalty/tiers").status_code == 200
    response = put(client, caller, BODY)
    assert response.status_code == status, response.content
    if status == 200:
        body = response.json()
        assert (body["basis"], body["period"], body["window_days"]) == ("points", "rolling", 90)
        assert [(t["rank"], t["name"]) for t in body["tiers"]] == [(1, "Silver"), (2, "Gold")]
        assert body["tiers"][1]["benefits"] == [
            {"name": "Free shipping", "description": "on every order"}
        ]
    else:
        assert response.json()["error"]["code"] == "permission_denied"
        assert not LoyaltyTier.objects.exists()
        assert LoyaltyProgram.objects.get().tier_period == "calendar_year"


def test_a_bad_tier_is_422_on_its_field(client, db):
    admin = Api(client, role=Role.ADMIN)
    falling = {**BODY, "tiers": list(reversed(BODY["tiers"]))}
    response = put(client, admin, falling)
    assert response.status_code == 422
    assert "tiers[1].threshold" in response.json()["error"]["fields"]
    assert put(client, admin, {**BODY, "basis": "balance"}).status_code == 422
    assert not LoyaltyTier.objects.exists()


def test_the_points_get_carries_the_tier(client, program_on):
    customer = gold_customer()
    body = Api(client, role=Role.ANALYST).get(f"/loyalty/customers/{customer.pk}/points").json()
    assert body["tier"]["tier"]["name"] == "Gold"
    assert body["tier"]["changes"][0]["direction"] == "up"
    assert body["tier"]["may_drop_at"] is not None


def test_the_tiers_page_is_the_admins(client, program_on):
    for role in (Role.ANALYST, Role.SUCCESS_MANAGER, Role.MANAGER):
        client.force_login(make_user(role=role))
        assert client.get("/loyalty/tiers/").status_code == 403
        assert client.post("/loyalty/tiers/", {"basis": "points"}).status_code == 403
    client.force_login(make_user(role=Role.ADMIN))
    assert client.get("/loyalty/tiers/").status_code == 200
    lines = "Silver | 500 | 1.25\nGold | 1,000 | 1.5 | Free shipping: on every order; Early access"
    sent = {"basis": "spend", "period": "calendar_year", "window_days": "365", "tiers": lines}
    assert client.post("/loyalty/tiers/", sent).status_code == 302
    gold = LoyaltyTier.objects.get(name="Gold")
    assert gold.benefits == [
        {"name": "Free shipping", "description": "on every order"},
        {"name": "Early access", "description": ""},
    ]
    assert LoyaltyProgram.objects.get().tier_basis == "spend"
    page = client.get("/loyalty/tiers/").content.decode()
    assert "Gold | 1000 | 1.5 | Free shipping: on every order; Early access" in page
    refused = client.post("/loyalty/tiers/", {**sent, "tiers": "Gold | 1000\nSilver | 500"})
    assert refused.status_code == 422
    assert "line 2, threshold: above the tier below it" in refused.content.decode()


def test_the_points_card_shows_the_tier_and_benefits_and_the_overview_the_mix(client, program_on):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    customer = gold_customer(owner=mine)
    client.force_login(mine)
    card = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-tier"' in card and "Gold" in card and "Free shipping" in card
    assert "x1.5" in card
    page = client.get(f"/customers/{customer.pk}/points/").content.decode()
    assert "qualified for Gold" in page
    overview = client.get("/loyalty/")
    assert [(tier.name, n) for tier, n in overview.context["tier_mix"]] == [
        ("Silver", 0), ("Gold", 1)
    ]  # fmt: skip
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))  # another book: nobody
    other = client.get("/loyalty/")
    assert [n for _, n in other.context["tier_mix"]] == [0, 0]


def test_the_cli_lists_the_tiers(program_on):
    gold_customer()
    runner = CliRunner()
    shown = runner.invoke(loyalty, ["tiers"], catch_exceptions=False)
    assert shown.exit_code == 0
    assert "2. Gold: from 1000.00, x1.500, Free shipping; 1 customers" in shown.output
    as_json = json.loads(runner.invoke(loyalty, ["tiers", "--json"]).output)
    assert [(t["name"], t["customers"]) for t in as_json["tiers"]] == [("Silver", 0), ("Gold", 1)]
