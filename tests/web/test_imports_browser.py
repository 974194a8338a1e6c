"""The import wizard in a real browser (Chromium, Playwright, a live server): a customers file
with errors uploaded, its columns chosen, the problems seen on their cells, run by the job
runner, the rejects downloaded, the records followed, then the import reverted and its records
gone. Every wizard page passes axe-core and fits 375 px. Screenshots of each step are kept as
the test's artefacts in var/test/screenshots/imports/."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenure.customers.models import Customer
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.transfer.mapping import mapping_suggest
from tenure.transfer.models import ImportJob
from tenure.transfer.revert import REVERT_RUN
from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)
from tests.web.test_browser_a11y import BLOCKING, PAST_THE_EDGE, _axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "imports"

FILE = (
    "Client No,E-mail,Vorname,Loyalty\n"
    "K-1,una@new.example,Una,gold\n"
    "K-2,not-an-email,Duo,silver\n"
    "K-3,tria@example.com,Tria,=1+2\n"
    ",quattro@example.com,Quattro,bronze\n"
    "K-5,quinque@example.com,Quinque,gold\n"
)


def import_wizard_pages(user: Any) -> dict[str, str]:
    """A path of each wizard page with something on it (for the accessibility sweep)."""
    rows = "customer_id,email,Loyalty\nW-1,w@example.com,gold\nW-2,not-an-email,silver\n"

    def kept() -> Any:
        file = SimpleUploadedFile("wizard.csv", rows.encode(), content_type="text/csv")
        return import_upload_keep(by=user, kind="customers", upload=file)

    fresh, previewed = kept(), kept()
    fields = mapping_suggest("customers", previewed.header)
    import_upload_map(by=user, upload_id=previewed.pk, fields=fields, attributes=["Loyalty"])
    ran = kept()
    import_upload_map(by=user, upload_id=ran.pk, fields=fields, attributes=["Loyalty"])
    job = import_upload_run(by=user, upload_id=ran.pk)
    run_execute(job.run_id)
    return {
        "import-map": f"/imports/uploads/{fresh.pk}/map/",
        "import-preview": f"/imports/uploads/{previewed.pk}/preview/",
        "import-job": f"/imports/{job.pk}/",
        "import-records": f"/imports/{job.pk}/records/",
    }


@pytest.mark.browser
def test_the_wizard_on_a_file_with_errors_then_revert(live_server, browser_page, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    make_customer(external_id="K-1", first_name="Una", last_name="One", email="una@old.example")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # the revert's data-confirm
    problems: list[str] = []

    def shot(name: str) -> None:
        """A screenshot at 1440 px, then axe-core and the width at 375 px."""
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        for width, height in ((1440, 900), (375, 812)):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(300)  # tenure.js marks the tables that scroll 100 ms after
            for violation in _axe(page):
                if violation["impact"] in BLOCKING:
                    problems.append(f"{name}@{width}: {violation['id']} at {violation['nodes']}")
            wide, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if wide > inner:
                problems.append(f"{name}@{width}: {wide} px; {page.evaluate(PAST_THE_EDGE)}")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-375.png"), full_page=True)
        page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # 1. Upload, naming the source.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    upload = tmp_path / "shop-export.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.locator("input[name=file]").set_input_files(str(upload))
    page.get_by_label("Where the file comes from").fill("Shop export")
    shot("01-upload")
    page.get_by_role("button", name="Upload and choose columns").click()

    # 2. Columns: E-mail and Client No matched by name; Vorname chosen by hand.
    expect(page.get_by_role("heading", name="Choose the columns")).to_be_visible()
    expect(page.get_by_label("email")).to_have_value("E-mail")
    expect(page.get_by_label("customer_id")).to_have_value("Client No")
    page.get_by_label("first_name").select_option("Vorname")
    page.get_by_label("Loyalty").check()
    shot("02-columns")
    page.get_by_role("button", name="Preview the rows").click()

    # 3. Preview: each problem on its cell, the whole file's counts.
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_test_id("valid")).to_have_text("3")
    expect(page.get_by_test_id("invalid")).to_have_text("2")
    bad = page.locator("td.cell-error")
    expect(bad.first).to_contain_text("not-an-email")
    expect(bad.first).to_contain_text("not an email address")
    expect(bad.nth(1)).to_contain_text("required, but empty")
    shot("03-preview")
    assert Customer.objects.count() == 1  # nothing stored yet
    page.get_by_role("button", name="Import 3 valid rows").click()

    # 4. Run by the job runner; the page follows it.
    job = ImportJob.objects.get()
    assert run_execute(job.run_id)["status"] == "done"
    expect(page.locator("#import-progress")).to_contain_text("Finished", timeout=20_000)
    counts = page.get_by_test_id("counts")
    expect(counts).to_contain_text("Created")
    assert (job.__class__.objects.get(pk=job.pk).rows_created, Customer.objects.count()) == (2, 3)
    shot("04-done")

    # The rejected rows as they came, with the error naming column and reason.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    rejects = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(rejects))) == [
        ["Client No", "E-mail", "Vorname", "Loyalty", "error"],
        ["K-2", "not-an-email", "Duo", "silver", "E-mail: not an email address: 'not-an-email'"],
        ["", "quattro@example.com", "Quattro", "bronze", "Client No: required, but empty"],
    ]

    # The records it touched, and one of them.
    page.get_by_role("link", name="See the imported records").click()
    expect(page.get_by_test_id("customers-created")).to_have_text("2")
    expect(page.get_by_test_id("customers-changed")).to_have_text("1")
    shot("05-records")
    page.get_by_role("link", name="Tria").click()
    expect(page.get_by_role("heading", name="Tria")).to_be_visible()
    page.go_back()

    # 5. Revert: the created customers gone, K-1's email back.
    page.get_by_role("link", name="shop-export.csv").click()
    page.get_by_role("button", name="Revert the import").click()
    expect(page.locator("#revert")).to_contain_text("Reverting in the background")
    shot("06-reverting")
    assert run_execute(Run.objects.get(kind=REVERT_RUN).pk)["status"] == "done"  # the worker
    expect(page.locator("#revert")).to_contain_text("2 records deleted, 1 restored")  # polled
    shot("06b-reverted")
    page.get_by_role("link", name="See the imported records").click()
    expect(page.get_by_test_id("customers-created")).to_have_text("0")
    shot("07-records-after-revert")
    assert list(Customer.objects.values_list("external_id", "email")) == [
        ("K-1", "una@old.example")
    ]
    assert problems == [], "\n".join(problems)
    assert errors == []
