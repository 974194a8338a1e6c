"""The customer page: header, key figures, timeline, subscriptions, dates and consents."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from django.urls import reverse

from tenure.customers.models import Consent, SpecialDate, Subscription
from tenure.customers.services import customer_update
from tenure.interactions.models import Interaction
from tests.factories import T0, make_customer, make_order, make_user
from tests.web.conftest import htmx


def url(customer) -> str:
    return reverse("web:customer", args=[customer.pk])


def test_header_and_key_figures(signed_in, book, manager):
    grace = book["grace"]
    grace.team.add(make_user(username="tess", first_name="Tess", last_name="Teammate"))
    page = signed_in.get(url(grace)).content.decode()
    for text in (
        "Grace Hopper",
        "grace@navy.example",
        "C-100",
        "Acme Corp",  # account
        "Mia Manager",  # owner
        "Tess Teammate",  # team
        "vip",
        "referral",
    ):
        assert text in page
    # Two orders of $100 and $300: first, last, count, revenue, average.
    assert "Jan 11, 2025" in page and "Jan 21, 2025" in page
    assert ">2<" in page
    assert "$400.00" in page
    assert "$200.00" in page


def test_a_customer_without_orders_shows_dashes_not_errors(signed_in, book):
    page = signed_in.get(url(book["edsger"])).content.decode()
    assert "Nothing yet" in page
    assert page.count('class="stat-value">—<') == 3  # first, last order, average


def test_subscriptions_special_dates_and_consents(signed_in, book):
    grace = book["grace"]
    Subscription.objects.create(
        customer=grace,
        plan="Pro",
        amount=Decimal("49.00"),
        currency="EUR",
        interval="month",
        started_at=T0,
    )
    Subscription.objects.create(
        customer=grace,
        plan="Starter",
        amount=Decimal("9.00"),
        currency="USD",
        interval="year",
        started_at=T0 - timedelta(days=500),
        cancelled_at=T0 - timedelta(days=10),
        cancellation_reason="upgraded",
    )
    SpecialDate.objects.create(customer=grace, label="Wedding anniversary", date=T0.date())
    Consent.objects.create(
        customer=grace, purpose="email_marketing", granted=True, changed_at=T0, source="signup"
    )
    Consent.objects.create(customer=grace, purpose="phone", granted=False, changed_at=T0)
    page = signed_in.get(url(grace)).content.decode()
    for text in (
        "Pro",
        "€49.00 · Monthly",
        "Active",
        "Starter",
        "Cancelled",
        "upgraded",
        "Wedding anniversary",
        "Marketing emails",
        "Granted",
        "Phone calls",
        "Refused",
    ):
        assert text in page


def test_timeline_merges_orders_and_interactions_newest_first(signed_in, book, manager):
    grace = book["grace"]  # orders on Jan 11 and Jan 21
    Interaction.objects.create(
        customer=grace, kind="call", occurred_at=T0 + timedelta(days=15), subject="Check-in call"
    )
    Interaction.objects.create(
        customer=grace,
        kind="complaint",
        status="open",
        occurred_at=T0 + timedelta(days=30),
        subject="Late delivery",
    )
    page = signed_in.get(url(grace)).content.decode()
    timeline = page[page.index('id="timeline-entries"') :]
    positions = [
        timeline.index(text) for text in ("Late delivery", "Order O", "Check-in call", "$100.00")
    ]
    assert positions == sorted(positions)
    assert "Open" in timeline


@pytest.mark.django_db
def test_the_timeline_pages_with_a_cursor_with_and_without_htmx(signed_in):
    customer = make_customer(external_id="LONG")
    for day in range(25):
        make_order(
            customer=customer, external_id=f"L-{day:02d}", placed_at=T0 + timedelta(days=day)
        )
    first = signed_in.get(url(customer)).content.decode()
    assert "L-24" in first and "L-05" in first and "L-04" not in first
    more = reverse("web:customer-timeline", args=[customer.pk])
    assert f'hx-get="{more}?before=' in first

    before = first.split(f'hx-get="{more}?before=')[1].split('"')[0]
    fragment = signed_in.get(f"{more}?before={before}", **htmx("")).content.decode()
    assert "<html" not in fragment
    assert "L-04" in fragment and "L-00" in fragment and "L-05" not in fragment
    assert "Show older" not in fragment  # the end

    # Without JavaScript the same link opens the page at that point.
    redirect = signed_in.get(f"{more}?before={before}")
    assert redirect.status_code == 302
    older = signed_in.get(redirect["Location"]).content.decode()
    assert "L-04" in older and "L-05" not in older and "Back to newest" in older


def test_a_missing_customer_is_404(signed_in, book):
    assert signed_in.get(reverse("web:customer", args=[999999])).status_code == 404


def test_the_order_page_shows_its_lines(signed_in, book):
    order = book["grace"].orders.first()
    order.lines.create(sku="SKU-1", description="Widget", quantity=3, unit_price=Decimal("2.50"))
    page = signed_in.get(reverse("web:order", args=[order.pk])).content.decode()
    assert "Widget" in page and "$7.50" in page and "Grace Hopper" in page
    assert signed_in.get(reverse("web:order", args=[999999])).status_code == 404


def test_an_analyst_sees_no_interaction_form(client, book):
    client.force_login(make_user(role="analyst", username="ann"))
    page = client.get(url(book["grace"])).content.decode()
    assert "Grace Hopper" in page
    assert "interaction-form" not in page


def test_the_change_history_shows_who_changed_what_escaped(signed_in, manager):
    customer = make_customer(category="regular")
    with set_actor(manager):  # what the web request's middleware does
        customer_update(by=manager, customer_id=customer.pk, changes={"category": "<b>vip</b>"})
    page = signed_in.get(f"/customers/{customer.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "Update by" in history
    assert "category: regular → &lt;b&gt;vip&lt;/b&gt;" in history
    assert "<b>vip</b>" not in history
