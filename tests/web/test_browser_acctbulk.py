"""The accounts list's acceptance scenario in a real browser (Chromium, Playwright, a live
server): one owner given to 50 accounts with the counts shown, then an industry cell refused,
saved and undone. Screenshots of each step are kept in var/test/screenshots/bulk/."""

from __future__ import annotations

import re

import pytest

from tenure.customers.models import Account
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tests.factories import T0, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_bulk import _log_in, _shooter


@pytest.mark.browser
def test_owner_for_50_accounts_then_a_cell_edited_and_undone(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    make_user(username="mia", first_name="Mia", last_name="Manager")
    otto = make_user(username="otto", first_name="Otto", last_name="Owner")
    Account.objects.bulk_create(
        Account(name=f"Firm {n:02d}", industry="retail", created_at=T0) for n in range(50)
    )
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shot = _shooter(page)
    _log_in(page, live_server, "mia")
    page.goto(f"{live_server.url}/accounts/")

    page.get_by_label("Choose every account on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text(re.compile(r"^\d+ chosen on this page"))
    page.get_by_label("Every account matching the filters").check()
    expect(page.locator("[data-bulk-count]")).to_contain_text("(50)")
    page.get_by_label("Action", exact=True).select_option(label="Assign owner")
    page.get_by_label("New owner").select_option(label="Otto Owner")
    shot("acct-01-bulk-bar")
    page.get_by_role("button", name="Apply to chosen").click()
    expect(page.locator("#bulk-progress")).to_contain_text("Waiting for the background worker")
    run = Run.objects.get(kind="bulk.accounts")
    assert run_execute(run.pk)["status"] == "done"  # the worker's part
    expect(page.get_by_test_id("bulk-changed")).to_have_text("50", timeout=30_000)
    expect(page.get_by_test_id("bulk-refused")).to_have_text("0")
    expect(page.locator("#bulk-progress")).to_contain_text("Finished: 50 changed")
    shot("acct-02-bulk-done")
    assert Account.objects.filter(owner=otto).count() == 50

    # A cell: Esc cancels, Enter saves, Undo undoes (a refusal in the cell:
    # tests/web/test_accounts_bulk_pages.py; the input's maxlength stops a long text here).
    opener = page.get_by_role("button", name=re.compile("^Edit industry of Firm 00"))
    opener.click()
    industry = page.get_by_label("Industry of Firm 00")
    expect(industry).to_be_focused()
    industry.fill("typed then cancelled")
    shot("acct-03-cell-open")
    industry.press("Escape")
    expect(opener).to_contain_text("retail")
    expect(opener).to_be_focused()
    opener.press("Enter")
    page.get_by_label("Industry of Firm 00").fill("Wholesale")
    page.get_by_label("Industry of Firm 00").press("Enter")
    expect(opener).to_contain_text("Wholesale")
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Saved the industry of Firm 00.")
    shot("acct-04-cell-saved-with-undo")
    assert Account.objects.get(name="Firm 00").industry == "Wholesale"
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_contain_text("Undone")
    expect(opener).to_contain_text("retail")
    shot("acct-05-cell-undone")
    assert Account.objects.get(name="Firm 00").industry == "retail"
    assert errors == []
