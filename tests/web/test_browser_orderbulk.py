"""The orders and tasks lists in a real browser (Chromium, Playwright, a live server): 20
orders refunded from the bar with the counts shown, an order's amount cell cancelled with Esc,
saved with Enter and undone; a task's due date cell saved with Enter. Screenshots of each step
are kept in var/test/screenshots/bulk/."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order
from tenure.todos.models import Task
from tests.factories import make_customer, make_order, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_bulk import _log_in, _shooter


@pytest.mark.browser
def test_20_orders_refunded_then_an_amount_cell_edited_and_undone(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    mia = make_user(username="mia", first_name="Mia", last_name="Manager")
    customer = make_customer()
    for n in range(20):
        make_order(customer=customer, external_id=f"W{n:02d}", amount=Decimal("10.00"))
    make_order(customer=customer, external_id="GONE", status="cancelled")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shot = _shooter(page)
    _log_in(page, live_server, "mia")
    page.goto(f"{live_server.url}/orders/")

    page.get_by_label("Status", exact=True).first.select_option(label="Completed")
    expect(page.locator("#order-table")).to_have_attribute("data-list-total", "20")
    page.get_by_label("Every order matching the filters").check()
    expect(page.locator("[data-bulk-count]")).to_contain_text("(20)")
    page.get_by_label("Action", exact=True).select_option(label="Set status")
    page.get_by_label("New status").select_option(label="Refunded")
    shot("orders-01-bulk-bar")
    page.get_by_role("button", name="Apply to chosen").click()
    expect(page.locator("#bulk-progress")).to_contain_text("Waiting for the background worker")
    run = Run.objects.get(kind="bulk.orders")
    # The filters shown (and the list's order, part of its state), not every order.
    assert run.args["filters"] == {"status": "completed", "sort": "-placed"}
    assert run_execute(run.pk)["status"] == "done"  # the worker's part
    expect(page.get_by_test_id("bulk-changed")).to_have_text("20", timeout=30_000)
    expect(page.locator("#bulk-progress")).to_contain_text("Finished: 20 changed")
    shot("orders-02-bulk-done")
    assert Order.objects.filter(status="refunded").count() == 20
    assert Order.objects.get(external_id="GONE").status == "cancelled"

    # An amount cell: Esc cancels, Enter saves, Undo undoes.
    page.goto(f"{live_server.url}/orders/?status=refunded")
    opener = page.get_by_role("button", name=re.compile("^Edit amount of Order W00"))
    opener.click()
    amount = page.get_by_label("Amount of Order W00")
    expect(amount).to_be_focused()
    amount.fill("99")
    amount.press("Escape")
    expect(opener).to_contain_text("10.00")
    expect(opener).to_be_focused()
    opener.press("Enter")
    page.get_by_label("Amount of Order W00").fill("12.5")
    page.get_by_label("Amount of Order W00").press("Enter")
    expect(opener).to_contain_text("12.50")
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Saved the amount of Order W00.")
    shot("orders-03-cell-saved-with-undo")
    assert Order.objects.get(external_id="W00").amount == Decimal("12.50")
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_contain_text("Undone")
    expect(opener).to_contain_text("10.00")
    assert Order.objects.get(external_id="W00").amount == Decimal("10.00")

    # A task's due date, the same way.
    Task.objects.create(title="Call Ada", owner=mia, due=date(2026, 1, 5), created_by=mia)
    page.goto(f"{live_server.url}/tasks/?view=all")
    due = page.get_by_role("button", name=re.compile("^Edit due of Call Ada"))
    due.click()
    page.get_by_label("Due date of Call Ada").fill("2026-02-01")
    page.get_by_label("Due date of Call Ada").press("Enter")
    expect(due).to_contain_text("Feb 1, 2026")
    shot("tasks-01-due-cell-saved")
    assert Task.objects.get(title="Call Ada").due == date(2026, 2, 1)
    assert errors == []
