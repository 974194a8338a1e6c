"""From a segment to an email, in a real browser (Chromium, Playwright, a live server): a
manager builds a segment and watches its live count, starts a playbook on entry from the
segment's page, and reads in the outbox the message the worker sent to a customer who
entered the segment afterwards."""

from __future__ import annotations

import json

import pytest

from tenure.users.models import Role
from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)


def _the_worker_runs() -> None:
    """What the worker does between two clicks: the triggers, the due steps, the sender."""
    from tenure.events.consumers import consumer_drain
    from tenure.mail.sending import mail_send_due
    from tenure.playbooks.advance import enrollments_advance
    from tenure.playbooks.triggers import TRIGGERS

    consumer_drain(TRIGGERS)
    enrollments_advance()
    mail_send_due()


@pytest.mark.browser
def test_segment_then_playbook_then_the_outbox(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    from tenure.events.consumers import consumer_position
    from tenure.playbooks.triggers import TRIGGERS

    consumer_position(TRIGGERS)  # the triggers follow from here, as on a running install
    make_user(username="mia", role=Role.MANAGER)
    for n in range(3):
        make_customer(external_id=f"G-{n}", first_name=f"Gold{n}", category="gold",
                      email=f"gold{n}@example.com")  # fmt: skip
    make_customer(external_id="P-1", first_name="Plain", email="plain@example.com")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    page.get_by_label("Name", exact=True).fill("Gold")
    page.get_by_label("Fact 1").select_option("category")
    page.get_by_label("Operator 1").select_option("is")
    page.get_by_label("Value 1").fill("gold")
    expect(page.locator("#preview-count")).to_have_text("3")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Gold")).to_be_visible()

    page.get_by_role("link", name="Start a playbook on entry").click()
    editor = page.get_by_label("Playbook (JSON)")
    definition = json.loads(editor.input_value())
    assert definition["trigger"] == {
        "type": "event", "kind": "segment.entered", "match": {"slug": "gold"}
    }  # fmt: skip
    definition["enabled"] = True
    definition["steps"] = [
        {"kind": "email", "template": "welcome-introduction", "class": "transactional"}
    ]
    editor.fill(json.dumps(definition))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="When a customer enters Gold")).to_be_visible()

    _the_worker_runs()
    # Two customers become gold after the playbook is on: they enter at the next refresh.
    for n in (7, 8):
        make_customer(external_id=f"G-{n}", first_name=f"Gold{n}", category="gold",
                      email=f"gold{n}@example.com")  # fmt: skip
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="Gold").click()
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("#member-table tbody tr")).to_have_count(5)
    _the_worker_runs()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Email").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # the entries since the playbook, not the members before it
    expect(page.get_by_text("gold1@example.com")).to_have_count(0)
    rows.filter(has_text="gold7@example.com").get_by_role("link").first.click()
    expect(page.locator("#message-headers")).to_contain_text("Subject: Welcome, Gold7")
    expect(page.locator("#message-headers")).to_contain_text("To: gold7@example.com")
    expect(page.locator("#message-body")).to_contain_text("Hello Gold7,")
    assert errors == []
