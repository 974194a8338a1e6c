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
    results = page.locator("#results")  # each row names its customer in a link
    expect(results.get_by_role("link", name="Vera Vip3", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Rolf Regular1", exact=True)).to_have_count(0)
    assert errors == []


@pytest.mark.browser
def test_analytics_for_a_segment_from_its_page_and_the_select_box(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    from tenure.segments.services import segment_create
    from tests.insights.builders import buyer
    from tests.web.lifecycle_book import lifecycle_book

    book = lifecycle_book()  # stages placed by the real recompute: 5 at risk in all
    for customer in [book.at_risk["sam"][0], *book.at_risk["otto"][:1]]:
        customer.category = "vip"
        customer.save(update_fields=["category"])
    buyer(*[book.now.date()], category="plain")
    vips = segment_create(
        by=book.otto,
        name="VIPs",
        definition={"when": {"fact": "category", "op": "is", "value": "vip"}},
    )
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("otto")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/segments/{vips.pk}/")
    page.get_by_role("link", name="Lifecycle for this segment").click()
    expect(page.locator("#segment-chosen")).to_contain_text("VIPs")
    expect(page.locator(".stage-tile", has_text="At risk")).to_contain_text("2")
    # Choosing "every customer" in the box applies at once (data-autosubmit).
    page.locator("select[name=segment]").select_option("")
    expect(page.locator("#segment-chosen")).to_have_count(0)
    expect(page.locator(".stage-tile", has_text="At risk")).to_contain_text("5")
    page.locator("select[name=segment]").select_option(str(vips.pk))
    expect(page.locator("#segment-chosen")).to_contain_text("VIPs")
    tabs = page.get_by_role("navigation", name="Lifecycle")
    tabs.get_by_role("link", name="At risk").click()  # the tab keeps the segment
    expect(page.locator("#segment-chosen")).to_contain_text("VIPs")
    page.goto(f"{live_server.url}/segments/{vips.pk}/")
    page.get_by_role("link", name="Analytics for this segment").click()
    expect(page.locator("#segment-chosen")).to_have_text("VIPs")
    assert errors == []
