"""The lifecycle board in a real browser: a card dragged to another column asks why, then
the customer stands in that stage with the move recorded (who, why), and the board shows it;
the toast's Undo moves them back; the keyboard's Move button does the same. Screenshots in
var/test/screenshots/board/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tests.factories import PASSWORD, make_customer, make_order, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_a11y import BLOCKING, _axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "board"


def _buyer(**fields):
    now = timezone.now()
    customer = make_customer(created_at=now - timedelta(days=120), **fields)
    for days in (90, 60, 30):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk])
    return customer


@pytest.mark.browser
def test_a_drag_moves_a_stage_and_records_it(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    grace = _buyer(first_name="Grace", last_name="Hopper")
    alan = _buyer(first_name="Alan", last_name="Turing")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/lifecycle/board/")

    retention = page.locator('.board-column[data-stage="retention"]')
    advocacy = page.locator('.board-column[data-stage="advocacy"]')
    expect(retention.locator(".board-card")).to_have_count(2)
    expect(advocacy.locator(".board-card")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "01-board.png"), full_page=True)

    # By the mouse, as a person drags (the column may lie past the window's edge: scrolled to).
    advocacy.scroll_into_view_if_needed()
    retention.locator(".board-card", has_text="Grace Hopper").hover(position={"x": 150, "y": 12})
    page.mouse.down()
    box = advocacy.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 60, steps=8)
    page.mouse.move(box["x"] + 50, box["y"] + 70, steps=4)
    page.mouse.up()
    dialog = page.get_by_role("dialog", name="Move by hand")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Move to")).to_have_value("advocacy")
    expect(dialog.get_by_label("Why")).to_be_focused()
    dialog.get_by_role("button", name="Move").click()  # no reason: asked for one, kept open
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why").fill("Wrote us a glowing review")
    page.screenshot(path=str(SCREENSHOTS / "02-why.png"), full_page=True)
    dialog.get_by_role("button", name="Move").click()

    expect(dialog).to_be_hidden()
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Grace Hopper moved to Advocacy by hand.")
    expect(advocacy.locator(".board-card", has_text="Grace Hopper")).to_be_visible()
    expect(retention.locator(".board-card")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "03-moved.png"), full_page=True)
    assert CustomerStage.objects.get(customer=grace).stage == "advocacy"
    move = StageTransition.objects.get(customer=grace, rule="by-hand")
    assert move.reason == "Moved by hand by mia: Wrote us a glowing review"

    # The toast's Undo moves her back, by hand and saying so; the board asks itself again.
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_contain_text("Undone: Grace Hopper moved to Advocacy.")
    expect(retention.locator(".board-card", has_text="Grace Hopper")).to_be_visible()
    expect(advocacy.locator(".board-card")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "03b-undone.png"), full_page=True)
    assert CustomerStage.objects.get(customer=grace).stage == "retention"
    back = StageTransition.objects.filter(customer=grace, rule="by-hand").latest("pk")
    assert back.reason == "Moved by hand by mia: Undo of the move to Advocacy"

    # From the keyboard: the card's Move button opens the same dialog.
    retention.get_by_role("link", name="Move Alan Turing").focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Move to").select_option("at_risk")
    dialog.get_by_label("Why").fill("Asked how to cancel")
    dialog.get_by_label("Why").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator('.board-column[data-stage="at_risk"] .board-card')).to_have_count(1)
    assert CustomerStage.objects.get(customer=alan).stage == "at_risk"

    # Wide board, narrow phone: it scrolls inside itself; axe finds nothing serious.
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert [v["id"] for v in _axe(page) if v["impact"] in BLOCKING] == []
    page.screenshot(path=str(SCREENSHOTS / "04-phone.png"), full_page=True)
    assert errors == []
