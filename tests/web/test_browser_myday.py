"""The acceptance scenario of issue 15 in a real browser: a success manager's My day ranks
their accounts beside their customers and one is snoozed off the list; a manager lands on the
home dashboard (the Analytics answer, who is at risk, the overdue tasks, the imports), also at
375 px. Screenshots of each step are kept in var/test/screenshots/myday/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tenure.customers.models import Subscription
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.factories import PASSWORD, make_account, make_customer, make_order, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "myday"


@pytest.mark.browser
def test_my_day_accounts_and_the_home_dashboard(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER, first_name="Sam")
    today = timezone.localdate()
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=today)
    for name, risk, value, days in (
        ("North Ltd", 0.2, "3000.00", 10),
        ("East Ltd", 0.5, "900.00", None),
    ):
        customer = make_customer(account=make_account(name=name, owner=sam), owner=sam)
        make_order(customer=customer, placed_at=timezone.now() - timedelta(days=20))
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=1 - risk,
            churn_risk=risk, expected_purchases_365=1.0, expected_average_spend=Decimal(value),
            predicted_clv_365=Decimal(value), value_if_stays_365=Decimal(value),
            historic_clv=Decimal("0"),
        )  # fmt: skip
        if days is not None:
            Subscription.objects.create(
                customer=customer, plan="Pro", amount="10.00", currency="USD", interval="month",
                started_at=timezone.now() - timedelta(days=100),
                renews_at=timezone.now() + timedelta(days=days),
            )  # fmt: skip
        Task.objects.create(title=f"Call {name}", owner=sam, due=today - timedelta(days=1),
                            customer=customer)  # fmt: skip
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def log_in(username: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

    # Sam lands on My day: North (0.2 x 3000 x 30/40 = 450) above East (0.5 x 900 x 30/395).
    log_in("sam")
    expect(page.get_by_role("heading", name="My day", level=1)).to_be_visible()
    rows = page.locator("#account-worklist-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("North Ltd")
    expect(rows.nth(0)).to_contain_text("450.00")
    expect(rows.nth(1)).to_contain_text("East Ltd")
    shot("01-my-day-accounts")
    page.get_by_role("button", name="Snooze North Ltd", exact=True).click()
    expect(page.locator(".alert-success, [role=status]").first).to_contain_text("North Ltd")
    expect(page.locator("#account-worklist-table tbody tr")).to_have_count(1)
    expect(page.locator("#account-worklist-table")).not_to_contain_text("North Ltd")
    shot("02-account-snoozed")

    # Mia's home is the dashboard.
    page.context.clear_cookies()
    log_in("mia")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    expect(page.locator("#answer-sentence")).not_to_be_empty()
    expect(page.locator("#overdue-counts")).to_contain_text("The team has 2.")
    expect(page.locator("#home-imports")).to_contain_text("No imports yet.")
    shot("03-home-manager")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot("04-home-375")
    assert width <= 375
    assert errors == []
