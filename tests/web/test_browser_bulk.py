"""The acceptance scenarios of bulk changes, cells edited in place, Undo and the trash, in a
real browser (Chromium, Playwright, a live server): a cell edited then undone, one owner given
to 500 customers with the counts shown, a customer deleted then restored from the trash.
Screenshots of each step are kept in var/test/screenshots/bulk/."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tenure.customers.models import Customer, Subscription
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tests.factories import PASSWORD, T0, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "bulk"


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _shooter(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return shot


@pytest.mark.browser
def test_a_cell_edited_in_place_then_undone(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    make_user(username="mia", first_name="Mia", last_name="Manager")
    grace = make_customer(
        external_id="C-GRACE", first_name="Grace", last_name="Hopper", email="grace@navy.example"
    )
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shot = _shooter(page)
    _log_in(page, live_server, "mia")
    page.goto(f"{live_server.url}/customers/")

    # Click opens the input; a wrong email is refused in the cell, as the edit form says it.
    page.get_by_role("button", name=re.compile("^Edit email of Grace Hopper")).click()
    email = page.get_by_label("Email of Grace Hopper")
    expect(email).to_be_focused()
    email.fill("not an email")
    email.press("Enter")
    expect(page.locator(".cell-error")).to_have_text("Enter a valid email address.")
    shot("01-cell-refused")
    # Esc cancels: the cell shows its value again, the keyboard back on it.
    page.get_by_label("Email of Grace Hopper").press("Escape")
    opener = page.get_by_role("button", name=re.compile("^Edit email of Grace Hopper"))
    expect(opener).to_contain_text("grace@navy.example")
    expect(opener).to_be_focused()
    # Enter opens it too; Enter saves; the toast offers Undo.
    opener.press("Enter")
    page.get_by_label("Email of Grace Hopper").fill("grace@hopper.example")
    page.get_by_label("Email of Grace Hopper").press("Enter")
    expect(opener).to_contain_text("grace@hopper.example")
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Saved the email of Grace Hopper.")
    shot("02-cell-saved-with-undo")
    assert Customer.objects.get(pk=grace.pk).email == "grace@hopper.example"
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_contain_text("Undone")
    expect(opener).to_contain_text("grace@navy.example")
    shot("03-cell-undone")
    assert Customer.objects.get(pk=grace.pk).email == "grace@navy.example"
    assert errors == []


@pytest.mark.browser
def test_one_owner_for_500_customers_with_the_counts(live_server, browser_page, settings):  # noqa: F811
    from playwright.sync_api import expect

    # The events are followed by the worker, as in production, not inside each row's commit.
    settings.EVENTS_DELIVERY = "worker"

    make_user(username="mia", first_name="Mia", last_name="Manager")
    otto = make_user(username="otto", first_name="Otto", last_name="Owner")
    Customer.objects.bulk_create(
        Customer(external_id=f"B-{n:03d}", first_name="Bulk", last_name=f"P{n:03d}",
                 created_at=T0)
        for n in range(500)
    )  # fmt: skip
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shot = _shooter(page)
    _log_in(page, live_server, "mia")
    page.goto(f"{live_server.url}/customers/")

    page.get_by_label("Choose every customer on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text(re.compile(r"^\d+ chosen on this page"))
    page.get_by_label("Every customer matching the filters").check()
    expect(page.locator("[data-bulk-count]")).to_contain_text("(500)")
    page.get_by_label("Action", exact=True).select_option(label="Assign owner")
    page.get_by_label("New owner").select_option(label="Otto Owner")
    shot("04-bulk-bar")
    page.get_by_role("button", name="Apply to chosen").click()
    expect(page.locator("#bulk-progress")).to_contain_text("Waiting for the background worker")
    run = Run.objects.get(kind="bulk.customers")
    started = time.perf_counter()
    assert run_execute(run.pk)["status"] == "done"  # the worker's part
    seconds = time.perf_counter() - started
    expect(page.get_by_test_id("bulk-changed")).to_have_text("500", timeout=30_000)
    expect(page.get_by_test_id("bulk-refused")).to_have_text("0")
    expect(page.locator("#bulk-progress")).to_contain_text("500 changed, 0 unchanged, 0 refused")
    # The rows show their new owner (the list refreshed when the run ended).
    expect(page.locator("#results tbody tr").first).to_contain_text("Otto Owner")
    shot("05-bulk-done")
    assert Customer.objects.filter(owner=otto).count() == 500
    print(f"500 customers given an owner in {seconds:.1f} s")
    assert errors == []


@pytest.mark.browser
def test_a_customer_deleted_then_restored_from_the_trash(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    make_user(username="mia", first_name="Mia", last_name="Manager")
    grace = make_customer(external_id="C-GRACE", first_name="Grace", last_name="Hopper")
    plan = Subscription.objects.create(
        customer=grace, plan="Team", amount="19.00", currency="EUR", interval="year",
        started_at=T0,
    )  # fmt: skip
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shot = _shooter(page)
    _log_in(page, live_server, "mia")

    page.goto(f"{live_server.url}/customers/{grace.pk}/delete/")
    page.get_by_role("button", name=re.compile("^Delete customer Grace Hopper")).click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator("#undo-toast")).to_contain_text("Grace Hopper deleted.")
    expect(page.locator("#results")).not_to_contain_text("Grace Hopper")
    shot("06-deleted-with-undo")
    assert not Customer.objects.filter(pk=grace.pk).exists()

    page.locator("details.user-menu summary").click()
    page.get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Grace Hopper")
    expect(page.locator("table")).to_contain_text("1 subscriptions")
    shot("07-trash")
    page.get_by_role("button", name="Restore Grace Hopper").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    shot("08-restored")
    assert Customer.objects.get(pk=grace.pk).external_id == "C-GRACE"
    assert Subscription.objects.get(pk=plan.pk).customer_id == grace.pk
    assert errors == []
