"""Program analytics on a small fixture worked by hand: the liability and its expiry months,
the redemption and breakage rates, and members against non-members (retention and historical
CLV by the tenure analytics); the page, the API and the value of a point (admins)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tenure.access.scopes import AccessDenied
from tenure.domain import loyalty_program as rules
from tenure.loyalty.models import LoyaltyProgram
from tenure.loyalty.program import (
    flows,
    liability,
    members_compare,
    point_value_set,
    program_analytics,
)
from tenure.loyalty.services import lots_expire, points_earn, points_redeem, program_update
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db

START, END = date(2026, 3, 1), date(2026, 5, 29)  # 90 days
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def _orders(customer, days: list[str], amount: str) -> None:
    for day in days:
        make_order(customer=customer, placed_at=_at(day), amount=Decimal(amount))


@pytest.fixture
def book():
    """Members m1 (active throughout), m2 (active at the start, lost by the end), m3 (points
    only, no orders); non-members n1 (active throughout) and n2 (new in the period).

    Mean gap rule (3 x the customer's own mean gap): m1's gap 31 days at the start (age 28),
    34.7 at the end (age 45); m2's 10 (age 9 at the start, 99 at the end: lost); n1's 20
    (age 8 at the start, 38 at the end); n2's 10 (age 19 at the end)."""
    owner = make_user(role=Role.SUCCESS_MANAGER)
    people = {
        "m1": make_customer(owner=owner), "m2": make_customer(), "m3": make_customer(),
        "n1": make_customer(), "n2": make_customer(),
    }  # fmt: skip
    _orders(people["m1"], ["2026-01-01", "2026-02-01", "2026-03-15", "2026-04-15"], "100")
    _orders(people["m2"], ["2026-02-10", "2026-02-20"], "100")
    _orders(people["n1"], ["2026-02-01", "2026-02-21", "2026-03-13", "2026-04-02", "2026-04-22"],
            "50")  # fmt: skip
    _orders(people["n2"], ["2026-05-01", "2026-05-11"], "50")
    program_update(by=None, changes={"enabled": True, "lot_lifetime_days": 365})
    points_earn(by=None, customer_id=people["m1"].pk, key="a", now=_at("2026-03-10"), points=100)
    points_earn(by=None, customer_id=people["m2"].pk, key="b", now=_at("2026-04-20"), points=50)
    points_redeem(by=None, customer_id=people["m2"].pk, key="c", now=_at("2026-05-01"), points=20)
    points_earn(by=None, customer_id=people["m3"].pk, key="d", now=_at("2025-01-01"), points=10)
    people["owner"] = owner
    return people


def test_the_liability_and_when_its_points_expire(book):
    point_value_set(by=None, value="0.015")
    found = liability(user=None, now=NOW)
    # balances 100, 30 and 10; m3's lot expired on 2026-01-01 and awaits the nightly run
    assert (found.outstanding, found.holders) == (140, 3)
    assert found.point_value == Decimal("0.015")
    assert found.value == Decimal("2.10")  # 140 x 0.015
    assert found.schedule == [("due", 10), ("2027-03", 100), ("2027-04", 30)]
    mine = liability(user=book["owner"], now=NOW)  # a success manager: m1 only
    assert (mine.outstanding, mine.schedule) == (100, [("2027-03", 100)])


def test_no_value_of_a_point_is_no_money_figure(book):
    found = liability(user=None, now=NOW)
    assert (found.point_value, found.value) == (None, None)


def test_redemption_and_breakage_rates_over_a_period_and_lifetime(book):
    period = flows(user=None, start=_at("2026-03-01").replace(hour=0),
                   end=_at("2026-05-30").replace(hour=0))  # fmt: skip
    assert (period.earned_net, period.redeemed_net, period.expired) == (150, 20, 0)
    assert period.redemption_rate == pytest.approx(100 * 20 / 150)  # 13.33 %
    lots_expire(customer_id=book["m3"].pk, now=NOW)
    lifetime = flows(user=None)
    assert (lifetime.earned_net, lifetime.redeemed_net, lifetime.expired) == (160, 20, 10)
    assert lifetime.redemption_rate == 12.5  # 20 / 160
    assert lifetime.breakage_rate == 6.25  # 10 / 160


def test_members_against_non_members_worked_by_hand(book):
    found = members_compare(user=None, start=START, end=END)
    members, others = found.members, found.others
    assert (members.customers, members.S, members.E, members.N) == (3, 2, 1, 0)
    assert (members.retention_rate, members.churn_rate) == (50.0, 50.0)
    # m1's two orders of 100 in the period; lifespan = 90 days / 50 % churn = 180 days;
    # CLV = 2 orders per 90 days x 100 x 180 days = 400
    assert (members.buyers, members.orders, members.revenue) == (1, 2, Decimal("100") * 2)
    assert members.average_order_value == Decimal("100.00")
    assert members.orders_per_year == pytest.approx(2 * 365.25 / 90)
    assert members.lifespan_years == pytest.approx(180 / 365.25)
    assert members.clv == Decimal("400.00")
    assert (others.customers, others.S, others.E, others.N) == (2, 1, 2, 1)
    assert others.retention_rate == 100.0  # (E - N) / S = (2 - 1) / 1
    # n1's three orders and n2's two, of 50: AOV 50, 2.5 orders per buyer per 90 days; no one
    # lost: the lifespan is the cap, 10 years; CLV = 2.5 x 365.25 / 90 x 50 x 10 = 5072.92
    assert (others.buyers, others.orders, others.revenue) == (2, 5, Decimal("250"))
    assert others.average_order_value == Decimal("50.00")
    assert others.lifespan_years == 10.0
    assert others.clv == Decimal("5072.92")


def test_a_success_manager_compares_their_own_book(book):
    found = members_compare(user=book["owner"], start=START, end=END)
    assert (found.members.customers, found.members.S, found.members.orders) == (1, 1, 2)
    assert (found.others.customers, found.others.orders) == (0, 0)
    assert found.others.clv is None and found.others.retention_rate is None


def test_a_bad_period_is_refused_by_field():
    with pytest.raises(ValidationError) as refused:
        program_analytics(user=None, start=END, end=START, now=NOW)
    assert "end" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        members_compare(user=None, start=START - timedelta(days=4000), end=END)
    assert "start" in refused.value.message_dict


def test_the_value_of_a_point_is_the_admins_and_checked():
    with pytest.raises(AccessDenied):
        point_value_set(by=make_user(role=Role.MANAGER), value="0.01")
    with pytest.raises(ValidationError) as refused:
        point_value_set(by=None, value="a lot")
    assert "point_value" in refused.value.message_dict
    with pytest.raises(ValidationError):
        point_value_set(by=None, value="-1")
    point_value_set(by=make_user(role=Role.ADMIN), value="0.01")
    assert LoyaltyProgram.objects.get().point_value == Decimal("0.01")
    point_value_set(by=None, value="")
    assert LoyaltyProgram.objects.get().point_value is None


def test_the_domain_rules_worked_by_hand():
    assert rules.points_money(333, Decimal("0.015")) == Decimal("5.00")  # 4.995, halves up
    assert rules.lifespan_years(365, 25.0) == pytest.approx(4.0 / 1.0 * 365 / 365.25)
    assert rules.lifespan_years(30, 0.0) == 10.0 and rules.lifespan_years(30, None) is None
    flows_ = rules.LedgerFlows(earned=200, reversed=40, redeemed=100, restored=20, expired=16)
    assert (flows_.redemption_rate, flows_.breakage_rate) == (50.0, 10.0)  # 80/160, 16/160
    assert rules.LedgerFlows().redemption_rate is None  # nothing earned: no rate
    schedule = rules.expiry_schedule(
        due=5, months=[(date(2027, 4, 1), 3), (date(2027, 1, 1), 2), (date(2027, 4, 9), 1)],
        never=7,
    )  # fmt: skip
    assert schedule == [("due", 5), ("2027-01", 2), ("2027-04", 4), ("never", 7)]


def test_the_page_shows_the_figures_and_says_it_is_no_effect(client, book):
    point_value_set(by=None, value="0.015")
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get("/loyalty/program/", {"start": "2026-03-01", "end": "2026-05-29"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "A comparison, not the program's effect" in body
    assert '<span class="stat-value" id="outstanding-points">140</span>' in body
    assert "5072.92" in body and "400.00" in body
    assert 'action="/loyalty/program/point-value/"' not in body  # an analyst sets nothing
    refused = client.get("/loyalty/program/", {"start": "2026-05-29", "end": "2026-03-01"})
    assert refused.status_code == 422 and "before it starts" in refused.content.decode()


def test_the_api_gives_money_as_strings_and_refuses_bad_input(client, book):
    point_value_set(by=None, value="0.015")
    api = Api(client, role=Role.MANAGER)
    answer = api.get("/loyalty/program/analytics", start="2026-03-01", end="2026-05-29")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["liability"]["value"] == "2.10" and data["liability"]["point_value"] == "0.015"
    assert data["liability"]["expiry"][0] == {"when": "due", "points": 10}
    assert data["members"]["historical_clv"] == "400.00"
    assert data["non_members"]["historical_clv"] == "5072.92"
    assert data["period"]["redemption_rate"] == pytest.approx(13.3333333)
    assert "not an effect" in data["note"]
    bad = api.get("/loyalty/program/analytics", start="2026-05-29", end="2026-03-01")
    assert bad.status_code == 422 and "end" in bad.content.decode()
    assert api.get("/loyalty/program/analytics", start="soon").status_code == 422
    put = client.put("/api/v1/loyalty/program/point-value", {"point_value": "0.02"},
                     content_type="application/json", headers=api.headers)  # fmt: skip
    assert put.status_code == 403  # a manager: the value is the admins'
