"""The command palette in a real browser: ⌘K (Ctrl K) finds a customer and an action and opens
them from the keyboard; an analyst is offered no action that edits; ``?`` shows the keyboard
map and "g c" jumps to the customers. Screenshots in var/test/screenshots/palette/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_a11y import BLOCKING, _axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "palette"


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
def test_the_palette_finds_a_customer_and_an_action(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    grace = make_customer(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    make_customer(first_name="Alan", last_name="Turing")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, live_server.url, "mia")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("load")  # palette.js (deferred) listens for the keys by then

    page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Command palette")
    expect(palette).to_be_visible()
    box = palette.get_by_role("combobox")
    expect(box).to_be_focused()
    expect(palette.get_by_role("option", name="New customer")).to_be_visible()  # before typing
    box.fill("hopper")
    page.keyboard.press("Enter")  # at once: it waits for the answer to "hopper", then opens it
    expect(page).to_have_url(f"{live_server.url}/customers/{grace.pk}/")
    page.go_back()
    page.wait_for_load_state("load")
    page.keyboard.press("Control+k")
    box = page.get_by_role("dialog", name="Command palette").get_by_role("combobox")
    box.fill("hopper")
    option = palette.get_by_role("option", name="Grace Hopper")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")  # the best match, first
    expect(palette.get_by_role("option", name="Alan Turing")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "01-customer-found.png"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/{grace.pk}/")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()

    # An action, by its words, chosen with the arrows.
    page.wait_for_load_state("load")
    page.keyboard.press("Control+k")
    box = page.get_by_role("dialog", name="Command palette").get_by_role("combobox")
    box.fill("new")
    expect(page.locator("#palette[data-state=settled]")).to_have_count(1)
    options = page.locator("#palette-results [role=option]")
    # Exactly: the built-in playbook "Onboard new accounts" answers "new" too.
    expect(palette.get_by_role("option", name="New account", exact=True)).to_be_visible()
    names = [name.strip() for name in options.all_inner_texts()]
    page.keyboard.press("ArrowDown")
    selected = page.locator("#palette-results [role=option][aria-selected=true]")
    expect(selected).to_have_count(1)
    assert selected.inner_text().strip() == names[1]
    while selected.inner_text().strip() != "New account":
        page.keyboard.press("ArrowDown")
    page.screenshot(path=str(SCREENSHOTS / "02-action-chosen.png"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New account")).to_be_visible()

    # Escape closes; "?" shows the map; "g" then "c" goes to the customers.
    page.wait_for_load_state("load")
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Command palette")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Command palette")).to_be_hidden()
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("?")
    keymap = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keymap).to_be_visible()
    expect(keymap).to_contain_text("Open the command palette")
    page.screenshot(path=str(SCREENSHOTS / "03-keyboard-map.png"))
    page.keyboard.press("Escape")
    expect(keymap).to_be_hidden()
    page.keyboard.press("g")
    page.keyboard.press("c")
    expect(page).to_have_url(f"{live_server.url}/customers/")
    assert errors == []


@pytest.mark.browser
def test_an_analyst_sees_no_edit_action_in_the_palette(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="ann", role="analyst")
    make_customer(first_name="Grace", last_name="Hopper")
    page = browser_page
    _log_in(page, live_server.url, "ann")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("load")  # palette.js (deferred) listens for the keys by then

    page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Command palette")
    expect(palette.get_by_role("option", name="Customers", exact=True)).to_be_visible()
    expect(palette.get_by_role("option", name="New customer")).to_have_count(0)
    palette.get_by_role("combobox").fill("new")
    expect(page.locator("#palette[data-state=settled]")).to_have_count(1)
    expect(palette.get_by_role("group", name="Pages")).to_be_visible()
    expect(palette.get_by_role("group", name="Actions")).to_have_count(0)
    palette.get_by_role("combobox").fill("grace")
    expect(palette.get_by_role("option", name="Grace Hopper")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "04-analyst.png"))

    # Open on a phone, in the dark: axe finds nothing serious, and it fits.
    page.set_viewport_size({"width": 375, "height": 812})
    page.emulate_media(color_scheme="dark")
    expect(page.locator("#palette[data-state=settled]")).to_have_count(1)
    assert [v["id"] for v in _axe(page) if v["impact"] in BLOCKING] == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "05-phone-dark.png"))
