"""The accounts list and the account page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tenure.customers.models import Contact
from tenure.interactions.models import Interaction
from tenure.lifecycle.models import AccountHealthScore, AccountHealthSnapshot
from tests.factories import T0, make_account, make_user
from tests.web.conftest import htmx

URL = reverse("web:accounts")


def names(response) -> list[str]:
    return re.findall(r'href="/accounts/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def accounts(book, manager):
    initech = make_account(name="Initech", industry="Software", size_band="51-200", owner=manager)
    return {"acme": book["grace"].account, "globex": book["alan"].account, "initech": initech}


def test_list_shows_customers_and_revenue_per_account(signed_in, accounts):
    response = signed_in.get(URL)
    assert names(response) == ["Acme Corp", "Globex", "Initech"]
    page = response.content.decode()
    # Acme: Grace ($400) and Ada ($30); Globex: Alan ($1,000); Initech: nobody.
    assert re.search(r'class="num">2</td>\s*<td class="num">\$430.00', page)
    assert re.search(r'class="num">1</td>\s*<td class="num">\$1,000.00', page)
    assert re.search(r'class="num">0</td>\s*<td class="num">\$0.00', page)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "glob"}, ["Globex"]),
        ({"q": "software"}, ["Initech"]),  # industry
        ({"industry": "Retail"}, ["Acme Corp"]),
        ({"size_band": "51-200"}, ["Initech"]),
        ({"sort": "-name"}, ["Initech", "Globex", "Acme Corp"]),
    ],
)
def test_search_filter_and_sort(signed_in, accounts, params, expected):
    assert names(signed_in.get(URL, params)) == expected


def test_filter_by_owner(signed_in, accounts, manager):
    assert names(signed_in.get(URL, {"owner_id": manager.pk})) == ["Initech"]


def test_htmx_gets_the_results_fragment(signed_in, accounts):
    response = signed_in.get(URL, {"q": "acme"}, **htmx("results"))
    assert "<html" not in response.content.decode()
    assert names(response) == ["Acme Corp"]


def test_account_page_shows_contacts_customers_team_owner_and_interactions(
    signed_in, accounts, book, manager
):
    acme = accounts["acme"]
    acme.owner = manager
    acme.save()
    acme.team.add(make_user(username="tess", first_name="Tess", last_name="Teammate"))
    Contact.objects.create(
        account=acme, first_name="Wile", last_name="Coyote", role="decision_maker", is_primary=True
    )
    Interaction.objects.create(account=acme, kind="meeting", occurred_at=T0, subject="Kick-off")
    Interaction.objects.create(
        customer=book["ada"], kind="email", occurred_at=T0, subject="Invoice question"
    )
    Interaction.objects.create(
        customer=book["alan"], kind="email", occurred_at=T0, subject="Not Acme's business"
    )
    page = signed_in.get(reverse("web:account", args=[acme.pk])).content.decode()
    for text in (
        "Acme Corp",
        "Mia Manager",
        "Tess Teammate",
        "Wile Coyote",
        "Decision maker",
        "Primary",
        "Grace Hopper",
        "Ada Lovelace",
        "Kick-off",
        "Invoice question",
        f"?account_id={acme.pk}",
    ):
        assert text in page
    assert "Alan Turing" not in page and "Not Acme" not in page
    # Biggest spender first.
    assert page.index("Grace Hopper") < page.index("Ada Lovelace")


def test_a_missing_account_is_404(signed_in, accounts):
    assert signed_in.get(reverse("web:account", args=[999999])).status_code == 404


def test_a_success_manager_sees_only_their_accounts(client, accounts):
    own_manager = make_user(role="success_manager", username="sam")
    initech = accounts["initech"]
    initech.owner = own_manager
    initech.save()
    client.force_login(own_manager)
    assert names(client.get(URL)) == ["Initech"]
    assert client.get(reverse("web:account", args=[accounts["acme"].pk])).status_code == 404


# --- the Account health card --------------------------------------------------------------------


def _card(page: str) -> str:
    return page[page.index('id="account-health"') : page.index("<h2>Contacts</h2>")]


def test_account_page_shows_health_with_drivers_trend_and_history(signed_in, accounts):
    acme = accounts["acme"]
    AccountHealthScore.objects.create(
        account=acme, score=42.4, band="red", components={"complaints": 0.0, "recency": 60.0},
        drivers=[["complaints", {"open_complaints": 3.0}],
                 ["recency", {"days_since_last_order": 50.0, "typical_gap_days": 20.0}]],
        trend=-1, computed_at=T0, customers_score=55.0, customers_scored=2,
    )  # fmt: skip
    for day, score, band in ((T0 - timedelta(days=10), 61.0, "yellow"), (T0, 42.4, "red")):
        AccountHealthSnapshot.objects.create(account=acme, day=day.date(), score=score, band=band)
    card = _card(signed_in.get(reverse("web:account", args=[acme.pk])).content.decode())
    assert re.search(r'class="stat-value">42</span>\s*<span class="badge badge-red">Red', card)
    assert 'aria-label="worsening">↓' in card
    # The words from the stored drivers: 3 complaints, 50 days against a gap of 20 = 2.5.
    assert (
        "42 (red). 3 open complaints. No order for 50 days, 2.5 \N{MULTIPLICATION SIGN} their "
        "usual gap. No data for order frequency trend, spend trend, latest NPS / CSAT, "
        "engagement with emails, relationship breadth (single-threaded), renewal coming up: "
        "their weight went to the others."
    ) in card
    assert "Its 2 scored customers on their own, weighted by revenue: 55." in card
    # History newest first.
    assert card.index("Jan 1, 2025") < card.index("Dec 22, 2024")
    assert re.search(r'badge-amber">61<', card)


def test_account_page_before_the_first_scoring(signed_in, accounts):
    card = _card(
        signed_in.get(reverse("web:account", args=[accounts["globex"].pk])).content.decode()
    )
    assert "Not scored yet: the nightly recompute scores every account." in card
