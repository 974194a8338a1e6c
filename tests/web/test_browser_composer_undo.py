"""The composer's Undo in a real browser: a note logged with a follow-up task offers Undo in the
toast; clicking it takes the note off the timeline (asked again by ``composer.js``, its kinds
kept) and cancels the task; the note waits in the trash. Screenshots in
var/test/screenshots/composer-undo/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenure.history.models import TrashItem
from tenure.interactions.models import Interaction
from tenure.todos.models import Task
from tests.factories import PASSWORD, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "composer-undo"


@pytest.mark.browser
def test_the_toasts_undo_takes_a_note_off_the_timeline(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    grace = make_customer(first_name="Grace", last_name="Hopper")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/customers/{grace.pk}/")

    form = page.locator("#interaction-form")
    form.get_by_label("Kind").select_option("note")
    form.get_by_label("Subject").fill("Wants the annual plan")
    form.get_by_label("For").fill("Mia Manager")
    form.get_by_label("Due").fill("2031-05-04")
    form.get_by_role("button", name="Log interaction").click()

    timeline = page.locator("#timeline-entries")
    note = timeline.locator(".timeline-entry", has_text="Note").filter(
        has_text="Wants the annual plan"
    )
    expect(note).to_have_count(1)
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Note logged about Grace Hopper, with a follow-up task.")
    page.screenshot(path=str(SCREENSHOTS / "01-logged.png"), full_page=True)

    toast.get_by_role("button", name="Undo").click()

    expect(toast).to_contain_text("Undone: Note logged about Grace Hopper")
    expect(note).to_have_count(0)  # the timeline was asked again
    expect(form.locator(".alert-success")).to_have_count(0)  # "Logged." no longer holds
    page.screenshot(path=str(SCREENSHOTS / "02-undone.png"), full_page=True)
    assert not Interaction.objects.filter(customer=grace).exists()
    assert TrashItem.objects.filter(label="Note: Wants the annual plan").count() == 1
    assert Task.objects.get(customer=grace).status == "cancelled"
    assert page.url == f"{live_server.url}/customers/{grace.pk}/"  # no history entry pushed
    assert errors == []
