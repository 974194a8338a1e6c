"""The web app in a real browser: Debian's Chromium driven by Playwright against a live server.

Log in, search a customer, open their page, log an interaction, see it on the timeline.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.factories import T0, make_customer, make_order, make_user

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is intended.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"  # what tests.factories.make_user sets


@pytest.fixture
def browser_page() -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(15_000)
            # A loaded CI machine runs both databases' suites at once: a swap can take seconds.
            expect.set_options(timeout=15_000)
            yield page
        finally:
            browser.close()


@pytest.mark.browser
def test_log_in_search_open_and_log_an_interaction(live_server, browser_page):
    from playwright.sync_api import expect

    make_user(username="mia", first_name="Mia", last_name="Manager")  # password: PASSWORD
    for n in range(30):
        make_customer(external_id=f"N-{n:02d}", first_name="Noise", last_name=f"Person{n:02d}")
    grace = make_customer(
        external_id="C-100", first_name="Grace", last_name="Hopper", email="grace@navy.example"
    )
    make_order(customer=grace, placed_at=T0, amount=Decimal("120.00"))

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/customers/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/customers/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    # htmx (deferred) binds the search box's input trigger once the page has loaded; a key
    # typed before that reloads nothing until the next one.
    page.wait_for_load_state("load")

    # Live search: typing swaps the results in place (htmx) and puts the query in the URL.
    page.get_by_role("searchbox", name="Search customers").fill("hopper")
    results = page.locator("#results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("grace@navy.example")
    expect(page).to_have_url(f"{live_server.url}/customers/?q=hopper&sort=name")

    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator(".stats")).to_contain_text("$120.00")

    form = page.locator("#interaction-form")
    form.get_by_label("Kind").select_option("complaint")
    expect(form.get_by_label("Status")).to_be_visible()  # only cases have a status
    form.get_by_label("Subject").fill("Parcel arrived damaged")
    form.get_by_label("Notes").fill("Sending a replacement <today>.")
    form.get_by_role("button", name="Log interaction").click()

    timeline = page.locator("#timeline-entries")
    entry = timeline.locator(".timeline-entry", has_text="Parcel arrived damaged")
    expect(entry).to_have_count(1)
    # The complaint opened its follow-up task, on the same timeline.
    expect(timeline.locator(".timeline-entry").first).to_contain_text(
        "Task: Follow up the complaint of Grace Hopper"
    )
    expect(entry).to_contain_text("Sending a replacement <today>.")
    expect(entry).to_contain_text("Open")
    expect(page.locator("#interaction-form")).to_contain_text("Logged.")
    expect(form.get_by_label("Subject")).to_have_value("")
    assert errors == []

    # And it is stored: a reload shows it too.
    page.reload()
    expect(
        page.locator("#timeline-entries .timeline-entry", has_text="Parcel arrived damaged")
    ).to_have_count(1)


@pytest.mark.browser
def test_an_analyst_reads_but_finds_no_edit_controls(live_server, browser_page):
    from playwright.sync_api import expect

    make_user(username="ann", role="analyst", first_name="Ann", last_name="Analyst")
    grace = make_customer(external_id="C-100", first_name="Grace", last_name="Hopper")

    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/customers/{grace.pk}/")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_role("button", name="Log interaction")).to_have_count(0)
    page.goto(f"{live_server.url}/imports/")
    expect(page.get_by_role("button", name="Upload and choose columns")).to_have_count(0)
