"""Records created and edited in a real browser (Chromium, Playwright, a live server): a
customer made from the customers list and edited from their page, an account made and edited,
a refusal shown on its field with the input kept. Screenshots of each step are kept as the
test's artefacts in var/test/screenshots/records/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenure.customers.models import Account, Customer
from tests.factories import PASSWORD, make_account, make_customer, make_user
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "records"


@pytest.mark.browser
def test_create_and_edit_a_customer_and_an_account(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    make_user(username="otto", first_name="Otto", last_name="Owner")
    make_account(name="Acme")
    make_customer(external_id="TAKEN-1")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # A customer, from the list; first with an id already in use: refused on its field.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    page.get_by_label("Customer id").fill("TAKEN-1")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_label("Account").select_option(label="Acme")
    page.get_by_label("Owner").select_option(label="Otto Owner")
    page.get_by_label("Team").select_option(label="Mia Manager")
    shot("01-new-customer")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#id_external_id_error")).to_contain_text("already taken")
    expect(page.get_by_label("Email")).to_have_value("grace@navy.example")  # kept
    expect(page.get_by_label("Owner")).to_have_value(str(otto_id()))
    shot("02-new-customer-refused")
    page.get_by_label("Customer id").fill("C-GRACE")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator(".profile")).to_contain_text("Otto Owner")
    expect(page.locator("#history")).to_contain_text("Create by mia")
    shot("03-customer-created")

    # Edited from their page: the change is on the page and in the history.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Email")).to_have_value("grace@navy.example")
    page.get_by_label("Email").fill("grace@hopper.example")
    page.get_by_label("Category").fill("vip")
    shot("04-edit-customer")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("grace@navy.example → grace@hopper.example")
    shot("05-customer-edited")
    assert Customer.objects.get(external_id="C-GRACE").category == "vip"

    # An account, from the accounts list, then edited.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Name", exact=True).fill("Initech")
    page.get_by_label("Industry").fill("Software")
    page.get_by_label("Size").select_option(label="51-200 employees")
    page.get_by_label("Website").fill("https://initech.example")
    shot("06-new-account")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Industry").fill("Banking")
    page.get_by_label("Owner").select_option(label="Mia Manager")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()
    expect(page.locator(".profile")).to_contain_text("Banking")
    expect(page.locator("#history")).to_contain_text("Software → Banking")
    shot("07-account-edited")
    account = Account.objects.get(name="Initech")
    assert (account.industry, str(account.owner)) == ("Banking", "Mia Manager")
    assert errors == []
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 7


def otto_id() -> int:
    from tenure.users.models import User

    return User.objects.get(username="otto").pk
