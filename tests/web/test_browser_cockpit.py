"""The acceptance scenario of the cockpit, in a real browser: a manager writes a note on a
customer's page mentioning a success manager (typing "@" offers the team) and gives that
colleague a follow-up task from the composer; the colleague signs in, lands on "My day" with
the task on it, and finds the mention under Notifications. Screenshots of each step are kept in
var/test/screenshots/cockpit/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tenure.customers.models import Subscription
from tenure.users.models import Role
from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "cockpit"


@pytest.mark.browser
def test_a_mention_and_a_follow_up_reach_the_colleague(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    from tenure.events.consumers import consumer_position
    from tenure.notifications.following import NOTIFY

    consumer_position(NOTIFY)  # the notifications follow the events from here, as live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER, first_name="Sam",
                    last_name="Success", email="sam@team.example")  # fmt: skip
    make_user(username="sara", role=Role.SUCCESS_MANAGER, first_name="Sara", last_name="Other")
    grace = make_customer(first_name="Grace", last_name="Hopper", owner=sam)
    Subscription.objects.create(
        customer=grace, plan="Pro", amount="49.00", currency="EUR", interval="month",
        started_at=timezone.now() - timedelta(days=300),
        renews_at=timezone.now() + timedelta(days=9),
    )  # fmt: skip
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
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

    # The manager, on Grace's page: the cockpit header, then the composer.
    log_in("mia")
    page.goto(f"{live_server.url}/customers/{grace.pk}/")
    expect(page.locator("#cockpit")).to_contain_text("Sam Success")
    expect(page.locator("#cockpit")).to_contain_text("Pro")
    notes = page.locator("#composer-body")
    notes.click()
    notes.press_sequentially("Wants a discount before renewing. @sa")
    options = page.locator("#mention-options")
    expect(options).to_be_visible()
    expect(options.get_by_role("option", name="Sam Success (sam)")).to_be_visible()
    expect(options.get_by_role("option", name="Sara Other (sara)")).to_be_visible()
    notes.press_sequentially("m")  # narrows to Sam
    expect(options.get_by_role("option", name="Sara Other (sara)")).to_be_hidden()
    shot("01-mention-suggested")
    notes.press("Enter")
    expect(options).to_be_hidden()
    notes.press_sequentially("can you call her?")
    expect(notes).to_have_value("Wants a discount before renewing. @sam can you call her?")
    page.get_by_label("Subject").fill("Renewal")
    page.get_by_label("For", exact=True).fill("Sam Success (sam)")
    page.get_by_label("Due", exact=True).fill(due)
    shot("02-composer-filled")
    page.get_by_role("button", name="Log interaction").click()
    alert = page.locator("#interaction-form .alert-success")
    expect(alert).to_contain_text("Notified Sam Success.")
    expect(alert).to_contain_text("Follow-up task for Sam Success")
    expect(page.locator("#timeline-entries")).to_contain_text("Wants a discount")
    expect(page.locator("#timeline-entries")).to_contain_text("Task: Follow up: Renewal")
    shot("03-logged-with-follow-up")
    # The timeline narrowed to tasks: a checkbox, the URL keeps it.
    for kind in ("Orders", "Interactions", "Emails", "Stage moves", "Field changes",
                 "Survey answers", "Referrals"):  # fmt: skip
        page.get_by_label(kind, exact=True).uncheck()
    expect(page.locator("#timeline-entries")).not_to_contain_text("Wants a discount")
    expect(page.locator("#timeline-entries")).to_contain_text("Task: Follow up: Renewal")
    assert "kind=task" in page.url
    shot("04-timeline-tasks-only")

    # The colleague: home is "My day", with the task and Grace ranked; the bell counts two.
    page.context.clear_cookies()
    log_in("sam")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    expect(page.locator("#my-tasks")).to_contain_text("Follow up: Renewal")
    expect(page.locator("#worklist-table")).to_contain_text("Grace Hopper")
    expect(page.locator("#score-words")).to_contain_text("value at risk")
    expect(page.locator("#unread-count")).to_contain_text("2")
    shot("05-my-day")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    listed = page.locator("#notification-list")
    expect(listed).to_contain_text("Mia Manager mentioned you about Grace Hopper: Renewal")
    expect(listed).to_contain_text("Task for you: Follow up: Renewal")
    shot("06-notifications")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#unread-count")).to_have_count(0)
    shot("07-notifications-read")
    assert errors == []
