"""Building a segment in a real browser (Chromium, Playwright, a live server): the count
follows the conditions as they are chosen, the saved segment lists its members, and the
customers list narrows to it."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)


@pytest.mark.browser
def test_build_a_segment_and_watch_its_live_count(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    make_user(username="mia", first_name="Mia", last_name="Manager")
    for n in range(7):
        make_customer(external_id=f"V-{n}", first_name="Vera", last_name=f"Vip{n}", category="vip")
    for n in range(5):
        make_customer(external_id=f"R-{n}", first_name="Rolf", last_name=f"Regular{n}")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    expect(page.get_by_role("heading", name="New segment")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Our VIPs")
    page.get_by_label("Fact 1").select_option("category")
    page.get_by_label("Operator 1").select_option("is")
    page.get_by_label("Value 1").fill("vip")
    expect(page.locator("#preview-count")).to_have_text("7")  # live, before saving
    expect(page.locator("#preview")).to_contain_text("of 12 customers")

    page.get_by_label("Fact 2").select_option("is_lead")
    page.get_by_label("Operator 2").select_option("==")
    page.get_by_label("Value 2").fill("no")
    expect(page.locator("#preview-count")).to_have_text("0")  # nobody has bought yet
    page.get_by_label("Fact 2").select_option("")
    expect(page.locator("#preview-count")).to_have_text("7")

    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Our VIPs")).to_be_visible()
    expect(page.locator("#member-table tbody tr")).to_have_count(7)
    page.get_by_role("link", name="In the customers list").click()
    expect(page.get_by_text("Vera Vip3")).to_be_visible()
    expect(page.get_by_text("Rolf Regular1")).to_have_count(0)
    assert errors == []
