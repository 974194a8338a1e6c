"""The Lifecycle pages in a real browser (Debian's Chromium, Playwright, a live server): a
manager opens the funnel, walks to the at-risk list, creates a follow-up task with one click
and finds it on "My tasks" and on the task's page."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.factories import PASSWORD
from tests.web.lifecycle_book import lifecycle_book
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)


@pytest.mark.browser
def test_from_the_funnel_to_a_follow_up_task(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    # One transaction: the order events reach the lifecycle receivers once every order is
    # stored, as after an import, instead of one back-dated order at a time.
    with transaction.atomic():
        lifecycle_book()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("otto")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lifecycle").click()
    expect(page.get_by_role("heading", name="Lifecycle", exact=True)).to_be_visible()
    expect(page.locator("#stage-table")).to_contain_text("At risk")
    expect(page.locator("#chart-funnel")).to_be_visible()

    page.get_by_role("link", name="At-risk list").click()
    expect(page.get_by_role("heading", name="At risk", exact=True)).to_be_visible()
    buttons = page.get_by_role("button", name="Create follow-up task")
    expect(buttons.first).to_be_visible()
    before = buttons.count()
    # A customer Otto owns: the follow-up is his.
    row = page.locator("#at-risk-table tbody tr", has_text="Otto Owner").first
    name = row.locator("td").first.get_by_role("link").inner_text()
    row.get_by_role("button", name="Create follow-up task").click()
    expect(row.get_by_role("link", name="Task open")).to_be_visible()  # swapped in place
    expect(buttons).to_have_count(before - 1)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("link", name="My tasks")).to_have_attribute("aria-current", "page")
    task_link = page.locator("#task-table").get_by_role("link", name=f"Win back {name}")
    expect(task_link).to_be_visible()
    task_link.click()
    expect(page.get_by_role("heading", name=f"Win back {name}")).to_be_visible()
    expect(page.get_by_text("From the at-risk list")).to_be_visible()

    # A comment, added in place.
    page.get_by_label("Comment").fill("Called, left a voicemail.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments")).to_contain_text("Comment added.")
    expect(page.locator("#comments .comment")).to_contain_text("Called, left a voicemail.")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    assert errors == []
