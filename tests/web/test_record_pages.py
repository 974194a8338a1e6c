"""Customers and accounts created, edited and deleted on their pages: through the services
(history, events, roles as on the API), the service's refusals on their fields with the input
kept, moments in the business's time zone, owner and team chosen by name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenure.access.records import TAKEN
from tenure.customers.models import Account, Contact, Customer
from tenure.events.models import Event
from tenure.users.models import Role
from tests.factories import T0, make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _history(page: bytes) -> str:
    text = page.decode()
    return text[text.index('id="history"') :]


def _customer_form(**values: str) -> dict[str, str]:
    return {"external_id": "W-1", "first_name": "Grace", "last_name": "Hopper", **values}


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def test_a_customer_is_created_with_account_owner_and_team(signed_in, manager, berlin):
    acme = make_account(name="Acme")
    otto = make_user(username="otto", first_name="Otto", last_name="Owner")
    tess = make_user(username="tess", first_name="Tess", last_name="Team")
    page = signed_in.get("/customers/new/").content.decode()
    assert "Otto Owner</option>" in page and "Acme</option>" in page  # chosen by name
    assert 'name="csrfmiddlewaretoken"' in page

    response = signed_in.post(
        "/customers/new/",
        _customer_form(
            email="grace@navy.example", account=str(acme.pk), owner=str(otto.pk),
            team=[str(tess.pk), str(manager.pk)], created_at="2025-03-01T10:00:00",
            birthday="1906-12-09",
        ),
    )  # fmt: skip

    customer = Customer.objects.get(external_id="W-1")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.account, customer.owner, customer.email) == (acme, otto, "grace@navy.example")
    assert set(customer.team.all()) == {tess, manager}
    # 10:00 on the business's clock (Berlin, winter: UTC+1) is 09:00 UTC.
    assert customer.created_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    created = Event.objects.get(kind="customer.created", subject_id=customer.pk)
    assert (created.via, created.actor_id) == ("web", manager.pk)
    shown = signed_in.get(f"/customers/{customer.pk}/").content.decode()
    assert "Create by mia" in _history(shown.encode())
    assert "Tess Team" in shown and "Otto Owner" in shown


def test_an_edit_changes_what_was_changed_and_the_history_shows_it(signed_in, manager):
    since = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)  # seconds and microseconds
    customer = make_customer(external_id="C-1", email="old@example.com", created_at=since)
    page = signed_in.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'value="old@example.com"' in page
    assert 'value="2024-05-06T07:08:09"' in page  # shown in the business's zone (UTC here)

    form = {
        "external_id": "C-1", "first_name": customer.first_name, "last_name": customer.last_name,
        "email": "new@example.com", "created_at": "2024-05-06T07:08:09",
    }  # fmt: skip
    response = signed_in.post(f"/customers/{customer.pk}/edit/", form)

    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.email == "new@example.com"
    assert customer.created_at == since  # shown to the second, unchanged: not rewritten
    changed = Event.objects.get(kind="customer.changed", subject_id=customer.pk)
    assert changed.data["fields"] == ["email"]
    history = _history(signed_in.get(f"/customers/{customer.pk}/").content)
    assert "Update by mia" in history
    assert "email: old@example.com → new@example.com" in history


def test_a_refusal_is_shown_on_its_field_and_the_input_is_kept(signed_in):
    make_customer(external_id="TAKEN-1")
    response = signed_in.post(
        "/customers/new/",
        _customer_form(external_id="TAKEN-1", category="vip <b>", time_zone="Mars/Olympus"),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert TAKEN in page.replace("&#x27;", "'")  # the service's word, on the field
    assert 'id="id_external_id_error"' in page and 'id="id_time_zone_error"' in page
    assert 'value="vip &lt;b&gt;"' in page and 'value="Mars/Olympus"' in page  # kept, escaped
    assert "Nothing was saved" in page
    assert Customer.objects.filter(external_id="TAKEN-1").count() == 1


def test_a_field_the_form_parses_is_refused_before_the_service(signed_in):
    response = signed_in.post(
        "/customers/new/", _customer_form(email="not an address", birthday="1899-13-01")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_email_error"' in page and 'id="id_birthday_error"' in page
    assert 'value="not an address"' in page
    assert not Customer.objects.filter(external_id="W-1").exists()


def test_a_success_manager_owns_what_they_create_and_edits_only_their_book(client):
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    client.force_login(sam)
    response = client.post("/customers/new/", _customer_form())
    customer = Customer.objects.get(external_id="W-1")
    assert response.status_code == 302 and customer.owner == sam
    theirs = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER))
    assert client.get(f"/customers/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/customers/{theirs.pk}/delete/").status_code == 404
    assert Customer.objects.filter(pk=theirs.pk).exists()


def test_a_success_manager_who_hands_a_new_customer_over_is_told_before_it_is_saved(client):
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    otto = make_user(role=Role.SUCCESS_MANAGER, username="otto")
    tess = make_user(username="tess")
    client.force_login(sam)
    # Owned by Otto with Tess on the team: Sam could not set the team of what he cannot see.
    response = client.post(
        "/customers/new/", _customer_form(owner=str(otto.pk), team=[str(tess.pk)])
    )
    assert response.status_code == 422
    assert "Keep yourself its owner or a team member" in response.content.decode()
    assert not Customer.objects.filter(external_id="W-1").exists()  # rolled back whole
    # Without a team the hand-over is allowed: it is Otto's, and Sam goes back to his list.
    response = client.post("/customers/new/", _customer_form(owner=str(otto.pk)))
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert Customer.objects.get(external_id="W-1").owner == otto


def test_an_analyst_reads_but_finds_no_forms_or_links(client):
    client.force_login(make_user(role=Role.ANALYST))
    customer = make_customer()
    assert client.get("/customers/new/").status_code == 403
    assert client.post(f"/customers/{customer.pk}/edit/", _customer_form()).status_code == 403
    for page in (f"/customers/{customer.pk}/", "/customers/"):
        text = client.get(page).content.decode()
        assert "/edit/" not in text and "/customers/new/" not in text


def test_a_customer_is_deleted_after_a_confirmation_unless_they_have_orders(signed_in):
    customer = make_customer(external_id="GONE-1")
    confirm = signed_in.get(f"/customers/{customer.pk}/delete/")
    assert confirm.status_code == 200
    assert "Delete customer" in confirm.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()  # a GET deletes nothing
    response = signed_in.post(f"/customers/{customer.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Event.objects.filter(kind="customer.deleted", subject_id=customer.pk).exists()

    buyer = make_customer()
    make_order(customer=buyer)
    refused = signed_in.post(f"/customers/{buyer.pk}/delete/")
    assert refused.status_code == 409
    assert "orders are kept as history" in refused.content.decode()
    assert Customer.objects.filter(pk=buyer.pk).exists()


def test_the_pages_link_to_the_forms(signed_in):
    customer = make_customer()
    account = make_account()
    assert 'href="/customers/new/"' in signed_in.get("/customers/").content.decode()
    assert 'href="/accounts/new/"' in signed_in.get("/accounts/").content.decode()
    page = signed_in.get(f"/customers/{customer.pk}/").content.decode()
    for link in ("edit/", "delete/", "orders/new/", "subscriptions/new/"):
        assert f'href="/customers/{customer.pk}/{link}"' in page
    page = signed_in.get(f"/accounts/{account.pk}/").content.decode()
    for link in ("edit/", "delete/", "contacts/new/"):
        assert f'href="/accounts/{account.pk}/{link}"' in page


# --- accounts ---------------------------------------------------------------------------------


def test_an_account_is_created_edited_and_deleted(signed_in, manager):
    tess = make_user(username="tess", first_name="Tess", last_name="Team")
    response = signed_in.post(
        "/accounts/new/",
        {"name": "Initech", "industry": "Software", "size_band": "51-200",
         "website": "initech.example", "owner": str(manager.pk), "team": [str(tess.pk)]},
    )  # fmt: skip
    account = Account.objects.get(name="Initech")
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"
    assert account.website == "https://initech.example"
    assert (account.owner, list(account.team.all())) == (manager, [tess])
    assert Event.objects.filter(kind="account.created", subject_id=account.pk, via="web").exists()

    form = {"name": "Initech", "industry": "Banking", "size_band": "51-200",
            "website": "https://initech.example", "owner": str(manager.pk),
            "created_at": account.created_at.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    response = signed_in.post(f"/accounts/{account.pk}/edit/", form)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.industry == "Banking" and list(account.team.all()) == []
    history = _history(signed_in.get(f"/accounts/{account.pk}/").content)
    assert "industry: Software → Banking" in history
    assert "team: removed tess" in history or "team: removed Tess Team" in history

    Contact.objects.create(account=account, first_name="Peter")
    assert signed_in.post(f"/accounts/{account.pk}/delete/").status_code == 302
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.filter(first_name="Peter").exists()
    assert Event.objects.filter(kind="account.deleted", subject_id=account.pk).exists()


def test_an_account_name_in_use_is_refused_on_the_field(signed_in):
    make_account(name="Acme")
    other = make_account(name="Globex", created_at=T0)
    response = signed_in.post(
        f"/accounts/{other.pk}/edit/",
        {"name": "Acme", "industry": "Kept", "created_at": "2025-01-01T00:00:00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_name_error"' in page and 'value="Kept"' in page
    other.refresh_from_db()
    assert (other.name, other.industry) == ("Globex", "")


def test_the_form_pages_make_the_same_few_queries_however_big_the_team(signed_in):
    """The choices (team members, accounts) are one query each, not one per option."""
    customer = make_customer(account=make_account(name="Mine"))
    teammate = make_user()
    customer.team.set([teammate])
    order = make_order(customer=customer)
    created = customer.created_at.strftime("%Y-%m-%dT%H:%M:%S")
    kept = {"account": str(customer.account_id), "team": [str(teammate.pk)], "created_at": created}
    placed = order.placed_at.strftime("%Y-%m-%dT%H:%M:%S")

    def requests(round: int) -> list[tuple[str, str, dict, int, int]]:
        return [
        ("get", f"/customers/{customer.pk}/edit/", {}, 200, 8),
        ("get", "/customers/new/", {}, 200, 6),
        ("get", "/accounts/new/", {}, 200, 5),
        ("get", f"/orders/{order.pk}/edit/", {}, 200, 5),
        ("post", f"/customers/{customer.pk}/edit/",
         {"external_id": customer.external_id, "email": f"x{round}@example.com", **kept},
         302, 40),
        ("post", f"/orders/{order.pk}/edit/",
         {"external_id": order.external_id, "placed_at": placed, "amount": f"{round}.00",
          "currency": "USD", "status": "completed"}, 302, 40),  # with its Undo logged
        ]  # fmt: skip

    def counts(round: int) -> list[int]:
        found = []
        for method, url, data, status, most in requests(round):
            with CaptureQueriesContext(connection) as queries:
                assert getattr(signed_in, method)(url, data).status_code == status, url
            assert len(queries) <= most, (url, [q["sql"] for q in queries.captured_queries])
            found.append(len(queries))
        return found

    small = counts(1)
    for n in range(40):
        make_user(username=f"member{n}")
        make_account(name=f"Account {n:02d}")
    assert counts(2) == small


def test_a_deactivated_owner_is_kept_when_the_record_is_saved_unchanged(signed_in):
    gone = make_user(username="gone", first_name="Gus", last_name="Gone")
    customer = make_customer(owner=gone, category="old")
    customer.team.set([gone])
    gone.is_active = False
    gone.save()
    page = signed_in.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert f'<option value="{gone.pk}" selected>Gus Gone (deactivated)</option>' in page
    form = {"external_id": customer.external_id, "category": "new", "owner": str(gone.pk),
            "team": [str(gone.pk)],
            "created_at": customer.created_at.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    assert signed_in.post(f"/customers/{customer.pk}/edit/", form).status_code == 302
    customer.refresh_from_db()
    assert (customer.category, customer.owner, list(customer.team.all())) == ("new", gone, [gone])
    # Choosing them anew is the service's refusal, on the field.
    other = make_customer()
    form = {"external_id": other.external_id, "owner": str(gone.pk),
            "created_at": other.created_at.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    response = signed_in.post(f"/customers/{other.pk}/edit/", form)
    assert response.status_code == 422
    assert 'id="id_owner_error"' in response.content.decode()


def test_a_success_manager_who_leaves_the_team_of_a_customer_not_theirs_is_told(client):
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    customer = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER), category="kept")
    customer.team.set([sam])
    client.force_login(sam)
    form = {"external_id": customer.external_id, "category": "changed", "owner": "",
            "created_at": customer.created_at.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    response = client.post(f"/customers/{customer.pk}/edit/", form)
    assert response.status_code == 422
    assert "Keep yourself its owner or a team member" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.category, list(customer.team.all())) == ("kept", [sam])  # rolled back


def test_a_record_s_words_are_escaped_on_its_forms(signed_in):
    customer = make_customer(first_name="<script>alert(1)</script>", last_name="")
    account = make_account(name="<b>Bold</b>")
    urls = [f"/customers/{customer.pk}/edit/", f"/customers/{customer.pk}/delete/",
            f"/accounts/{account.pk}/edit/", f"/accounts/{account.pk}/contacts/new/"]  # fmt: skip
    for url in urls:
        page = signed_in.get(url).content.decode()
        assert "<script>alert" not in page and "<b>Bold" not in page, url
        assert "&lt;script&gt;" in page or "&lt;b&gt;Bold" in page, url


def test_a_form_sent_without_its_csrf_token_is_refused(manager):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    page = browser.get("/customers/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    assert browser.post("/customers/new/", _customer_form()).status_code == 403
    assert not Customer.objects.exists()
    form = {**_customer_form(), "csrfmiddlewaretoken": token.group(1)}
    assert browser.post("/customers/new/", form).status_code == 302


def test_every_input_of_every_record_form_has_a_label(signed_in):
    customer = make_customer()
    account = make_account()
    order = make_order(customer=customer)
    contact = Contact.objects.create(account=account, first_name="Pat")
    forms = [
        "/customers/new/", f"/customers/{customer.pk}/edit/", "/accounts/new/",
        f"/accounts/{account.pk}/edit/", f"/accounts/{account.pk}/contacts/new/",
        f"/contacts/{contact.pk}/edit/", f"/customers/{customer.pk}/subscriptions/new/",
        f"/customers/{customer.pk}/orders/new/", f"/orders/{order.pk}/edit/",
    ]  # fmt: skip
    for url in forms:
        page = signed_in.get(url).content.decode()
        form = page[page.index('<form class="card-body stack"') :]
        form = form[: form.index("</form>")]  # the record's form, not the page's palette
        controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
        named = [c for c in controls if 'type="hidden"' not in c]
        assert len(named) >= 4, url
        for control in named:
            found = re.search(r'id="([^"]+)"', control)
            assert found is not None, (url, control)
            assert f'<label for="{found.group(1)}">' in form, (url, control)


def test_custom_attributes_are_written_as_a_json_object(signed_in):
    response = signed_in.post(
        "/customers/new/", _customer_form(custom_attributes='{"tier": "gold", "seats": 12}')
    )
    assert response.status_code == 302
    customer = Customer.objects.get(external_id="W-1")
    assert customer.custom_attributes == {"tier": "gold", "seats": 12}
    assert "gold" in signed_in.get(f"/customers/{customer.pk}/").content.decode()

    edit = signed_in.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert "&quot;tier&quot;: &quot;gold&quot;" in edit
    created = customer.created_at.strftime("%Y-%m-%dT%H:%M:%S")
    form = _customer_form(custom_attributes='{"seats": 12, "tier": "gold"}', category="vip",
                          created_at=created)  # fmt: skip
    assert signed_in.post(f"/customers/{customer.pk}/edit/", form).status_code == 302
    changed = Event.objects.get(kind="customer.changed", subject_id=customer.pk)
    assert changed.data["fields"] == ["category"]  # the same object, written in another order

    for text in ('{"tier": ', '["gold"]'):
        form = _customer_form(custom_attributes=text, created_at=created)
        response = signed_in.post(f"/customers/{customer.pk}/edit/", form)
        assert response.status_code == 422
        page = response.content.decode()
        assert 'id="id_custom_attributes_error"' in page
        assert text.replace('"', "&quot;") in page  # kept as typed
    customer.refresh_from_db()
    assert customer.custom_attributes == {"tier": "gold", "seats": 12}
