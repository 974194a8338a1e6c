"""The acceptance of the lists (Chromium, Playwright, a live server): a manager narrows the
customers to the red ones at risk, chooses and orders the columns, saves that as a named view,
and reopens it from its URL and from the views menu with the same filters and columns; an
analyst keeps a private view but may not make one a role's default. Screenshots of each step
are kept as the test's artefacts in var/test/screenshots/lists/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tenure.users.models import Role
from tenure.workspace.models import SavedView
from tests.customers.test_list_insight_filters import _facts
from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_a11y import BLOCKING, _axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "lists"


def _book() -> None:
    otto = make_user(
        username="otto", first_name="Otto", last_name="Owner", role=Role.SUCCESS_MANAGER
    )
    rows = [
        ("R-1", "Rita", "at_risk", "red", 22.0, "900.00", 0.85),
        ("R-2", "Ravi", "at_risk", "red", 31.0, "300.00", 0.7),
        ("Y-1", "Yuki", "at_risk", "yellow", 60.0, "500.00", 0.4),
        ("G-1", "Gus", "retention", "green", 88.0, "1500.00", 0.05),
        ("C-1", "Cleo", "churned", "red", 5.0, "10.00", 0.99),
    ]
    for external_id, first, stage, band, score, clv, risk in rows:
        customer = make_customer(
            external_id=external_id, first_name=first, last_name="Example", owner=otto
        )
        _facts(customer, stage=stage, band=band, score=score, clv=Decimal(clv), risk=risk,
               p_alive=1 - risk)  # fmt: skip


def _log_in(page, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda found: "/login/" not in found)


def _headers(page) -> list[str]:
    headers = page.locator("#results thead th:not(.select-cell)")  # not the bulk bar's choice
    return [text.strip() for text in headers.all_inner_texts()]


def _rows(page) -> list[str]:
    return re.findall(r"· ([A-Z]-\d)", " ".join(page.locator("#results tbody").all_inner_texts()))


@pytest.mark.browser
def test_filter_choose_columns_save_and_reopen_a_view(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager", role=Role.MANAGER)
    make_user(username="ann", first_name="Ann", last_name="Analyst", role=Role.ANALYST)
    _book()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    _log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/customers/")
    assert sorted(_rows(page)) == ["C-1", "G-1", "R-1", "R-2", "Y-1"]

    # Filter: stage "At risk" (behind its menu) and health red; htmx refreshes the rows.
    page.locator(".filter-more summary", has_text="Stage").click()
    page.get_by_role("checkbox", name="At risk").check()
    page.wait_for_url(re.compile(r"stage=at_risk"))
    page.get_by_label("Health", exact=True).select_option("red")
    page.wait_for_url(re.compile(r"health=red"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert sorted(_rows(page)) == ["R-1", "R-2"]
    shot("01-filtered")

    # Columns: hide the owner, bring health first after the name, add the account.
    page.locator("#columns-menu summary").click()
    shot("02-columns-menu")
    page.get_by_role("link", name="Hide Owner").click()
    page.locator("#columns-menu summary").click()
    page.get_by_role("link", name="Move Health earlier").click()
    page.locator("#columns-menu summary").click()
    page.get_by_role("link", name="Show Account").click()
    chosen = _headers(page)
    assert chosen[:3] == ["Customer", "Health", "Stage"]
    assert "Owner" not in chosen and chosen[-1] == "Account"
    assert sorted(_rows(page)) == ["R-1", "R-2"]  # the filters held through the column links

    # Save as a named view.
    page.locator("#views-menu summary").click()
    page.get_by_label("Save this list as").fill("Red and at risk")
    shot("03-save-view")
    page.get_by_role("button", name="Save view").click()
    view = SavedView.objects.get(name="Red and at risk")
    expect(page.locator("#views-menu summary")).to_contain_text("View: Red and at risk")
    saved_url = page.url
    assert f"saved={view.pk}" in saved_url and "stage=at_risk" in saved_url
    assert "health=red" in view.querystring and "cols=" in view.querystring
    shot("04-view-saved")

    # Reopen it from its URL, after a reset, and from the menu: the same filters and columns.
    page.goto(f"{live_server.url}/customers/?q=")
    assert len(_rows(page)) == 5 and _headers(page) != chosen
    page.goto(saved_url)
    assert (_headers(page), sorted(_rows(page))) == (chosen, ["R-1", "R-2"])
    expect(page.get_by_label("Health", exact=True)).to_have_value("red")
    page.goto(f"{live_server.url}/customers/?q=")
    page.locator("#views-menu summary").click()
    page.get_by_role("link", name="Red and at risk").click()
    assert (_headers(page), sorted(_rows(page))) == (chosen, ["R-1", "R-2"])
    page.locator(".filter-more summary", has_text="Stage").click()
    expect(page.get_by_role("checkbox", name="At risk")).to_be_checked()
    shot("05-view-reopened-from-menu")

    # The open menus pass axe and fit a phone.
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    page.locator("#views-menu summary").click()
    page.locator("#columns-menu summary").click()
    blocking = [v for v in _axe(page) if v["impact"] in BLOCKING]
    assert blocking == []
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    shot("06-menus-open-375")
    page.set_viewport_size({"width": 1440, "height": 900})

    # An analyst keeps a private view; the menu offers neither sharing nor a role's default,
    # and a role's default sent anyway is refused (403), nothing stored.
    _log_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/customers/?health=red")
    page.locator("#views-menu summary").click()
    expect(page.get_by_label("Default for")).to_have_count(0)
    expect(page.get_by_label("Share with the team")).to_have_count(0)
    expect(page.get_by_role("link", name="Red and at risk")).to_have_count(0)  # Mia's, private
    page.get_by_label("Save this list as").fill("My reds")
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#views-menu summary")).to_contain_text("View: My reds")
    shot("07-analyst-private-view")
    token = page.locator("#views-menu input[name=csrfmiddlewaretoken]").first.input_value()
    refused = page.request.post(
        f"{live_server.url}/views/new/",
        form={"csrfmiddlewaretoken": token, "list": "customers", "name": "For analysts",
              "querystring": "health=red", "default_for_role": "analyst"},
        headers={"Referer": page.url},
    )  # fmt: skip
    assert refused.status == 403
    assert not SavedView.objects.filter(name="For analysts").exists()
    assert SavedView.objects.get(name="My reds").shared is False
    assert errors == []
