"""Contacts (from the account page), subscriptions and orders (from the customer page)
created, edited and deleted through their services: the figures, events and history follow,
a refusal shows on its field (or at the top when it names none) with the input kept."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tenure.access.records import TAKEN
from tenure.customers.models import Contact, Subscription
from tenure.events.models import Event
from tenure.orders.models import Order
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _history(page: bytes) -> str:
    text = page.decode()
    return text[text.index('id="history"') :]


# --- contacts ---------------------------------------------------------------------------------


def test_a_contact_is_added_made_primary_edited_and_deleted(signed_in):
    account = make_account(name="Acme")
    first = Contact.objects.create(account=account, first_name="Old", is_primary=True)
    response = signed_in.post(
        f"/accounts/{account.pk}/contacts/new/",
        {"first_name": "Pat", "last_name": "Lee", "email": "pat@acme.example", "role": "champion",
         "title": "CTO", "is_primary": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/#contacts"
    pat = Contact.objects.get(first_name="Pat")
    assert (pat.account, pat.role, pat.is_primary) == (account, "champion", True)
    first.refresh_from_db()
    assert first.is_primary is False  # one primary per account: the service demoted the old one
    page = signed_in.get(f"/accounts/{account.pk}/").content.decode()
    assert "Pat Lee" in page and f'href="/contacts/{pat.pk}/edit/"' in page

    edit = signed_in.get(f"/contacts/{pat.pk}/edit/").content.decode()
    assert 'value="pat@acme.example"' in edit
    response = signed_in.post(
        f"/contacts/{pat.pk}/edit/",
        {"first_name": "Pat", "last_name": "Lee", "email": "pat@acme.example", "role": "champion",
         "title": "CEO", "is_primary": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    pat.refresh_from_db()
    assert pat.title == "CEO"

    assert signed_in.get(f"/contacts/{pat.pk}/delete/").status_code == 200
    assert Contact.objects.filter(pk=pat.pk).exists()
    assert signed_in.post(f"/contacts/{pat.pk}/delete/").status_code == 302
    assert not Contact.objects.filter(pk=pat.pk).exists()


def test_a_contact_refused_keeps_what_was_typed(signed_in):
    account = make_account()
    response = signed_in.post(
        f"/accounts/{account.pk}/contacts/new/",
        {"first_name": "", "last_name": "Lee", "email": "pat@", "role": "user"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_first_name_error"' in page and 'id="id_email_error"' in page
    assert 'value="Lee"' in page
    assert not Contact.objects.exists()


def test_a_success_manager_adds_contacts_only_to_their_accounts(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(sam)
    theirs = make_account(owner=make_user(role=Role.SUCCESS_MANAGER))
    form = {"first_name": "Pat", "role": "user"}
    assert client.post(f"/accounts/{theirs.pk}/contacts/new/", form).status_code == 404
    own = make_account(owner=sam)
    assert client.post(f"/accounts/{own.pk}/contacts/new/", form).status_code == 302
    assert list(Contact.objects.values_list("account_id", flat=True)) == [own.pk]


# --- subscriptions ----------------------------------------------------------------------------


def _subscription(**values: str) -> dict[str, str]:
    return {"plan": "Pro", "amount": "49.90", "currency": "EUR", "interval": "month",
            "started_at": "2025-02-01T09:30:00", **values}  # fmt: skip


def test_a_subscription_is_started_cancelled_and_deleted(signed_in, manager, settings):
    settings.TIME_ZONE = "America/New_York"
    customer = make_customer()
    response = signed_in.post(f"/customers/{customer.pk}/subscriptions/new/", _subscription())
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    subscription = Subscription.objects.get(customer=customer)
    assert subscription.amount == Decimal("49.90")
    assert subscription.started_at == datetime(2025, 2, 1, 14, 30, tzinfo=UTC)  # EST: UTC-5
    assert subscription.external_id is None  # blank is no id, not ""
    started = Event.objects.get(kind="subscription.started", subject_id=subscription.pk)
    assert (started.via, started.actor_id) == ("web", manager.pk)
    assert "Pro" in signed_in.get(f"/customers/{customer.pk}/").content.decode()

    edit = signed_in.get(f"/subscriptions/{subscription.pk}/edit/").content.decode()
    assert 'value="2025-02-01T09:30:00"' in edit  # back on the business's clock
    response = signed_in.post(
        f"/subscriptions/{subscription.pk}/edit/",
        _subscription(cancelled_at="2025-06-01T12:00:00", cancellation_reason="Too dear"),
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.cancelled_at == datetime(2025, 6, 1, 16, 0, tzinfo=UTC)  # EDT: UTC-4
    assert subscription.started_at == datetime(2025, 2, 1, 14, 30, tzinfo=UTC)
    assert Event.objects.filter(kind="subscription.cancelled", subject_id=subscription.pk).exists()
    page = signed_in.get(f"/customers/{customer.pk}/").content.decode()
    assert "Cancelled" in page and "Too dear" in page

    assert signed_in.post(f"/subscriptions/{subscription.pk}/delete/").status_code == 302
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert Event.objects.filter(kind="subscription.deleted", subject_id=subscription.pk).exists()


def test_a_reason_without_a_cancellation_is_refused_on_its_field(signed_in):
    customer = make_customer()
    # The model's rule (and its database constraint), said on the field, not by its name.
    response = signed_in.post(
        f"/customers/{customer.pk}/subscriptions/new/",
        _subscription(cancellation_reason="Moved away", amount="12.5"),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "a cancellation reason needs a cancellation date" in page
    assert "subscription_reason_needs_cancellation" not in page
    assert 'value="Moved away"' in page and 'value="12.5"' in page
    assert not Subscription.objects.exists()


def test_a_negative_amount_is_refused_on_its_field(signed_in):
    customer = make_customer()
    response = signed_in.post(
        f"/customers/{customer.pk}/subscriptions/new/", _subscription(amount="-3")
    )
    assert response.status_code == 422
    assert 'id="id_amount_error"' in response.content.decode()


# --- orders -----------------------------------------------------------------------------------


def _order(**values: str) -> dict[str, str]:
    return {"external_id": "WEB-O-1", "placed_at": "2025-03-01T10:00:00", "amount": "120.50",
            "currency": "USD", "status": "completed", **values}  # fmt: skip


def test_an_order_is_recorded_refunded_and_deleted_with_the_figures_following(signed_in, manager):
    customer = make_customer()
    response = signed_in.post(f"/customers/{customer.pk}/orders/new/", _order())
    order = Order.objects.get(external_id="WEB-O-1")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert order.amount == Decimal("120.50")
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("120.50"))
    placed = Event.objects.get(kind="order.placed", subject_id=order.pk)
    assert (placed.via, placed.actor_id) == ("web", manager.pk)

    response = signed_in.post(f"/orders/{order.pk}/edit/", _order(status="refunded"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (0, Decimal("0"))
    assert Event.objects.filter(kind="order.refunded", subject_id=order.pk).exists()
    history = _history(signed_in.get(f"/orders/{order.pk}/").content)
    assert "status: completed → refunded" in history and "Update by mia" in history

    assert signed_in.get(f"/orders/{order.pk}/delete/").status_code == 200
    response = signed_in.post(f"/orders/{order.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert not Order.objects.filter(pk=order.pk).exists()
    assert Event.objects.filter(kind="order.deleted", subject_id=order.pk).exists()


def test_an_order_id_in_use_is_refused_on_its_field_and_nothing_changes(signed_in):
    customer = make_customer()
    make_order(customer=customer, external_id="TAKEN-O", amount=Decimal("5.00"))
    response = signed_in.post(
        f"/customers/{customer.pk}/orders/new/", _order(external_id="TAKEN-O")
    )
    assert response.status_code == 422
    page = response.content.decode().replace("&#x27;", "'")
    assert f'<small class="error" id="id_external_id_error">{TAKEN}' in page  # the service's
    assert 'value="120.50"' in page and 'value="TAKEN-O"' in page
    response = signed_in.post(f"/customers/{customer.pk}/orders/new/", _order(currency="usd!"))
    assert response.status_code == 422
    assert 'id="id_currency_error"' in response.content.decode()  # the form's own check
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("5.00"))


def test_an_analyst_and_another_book_are_refused_every_order_form(client):
    order = make_order(customer=make_customer(owner=make_user(role=Role.SUCCESS_MANAGER)))
    client.force_login(make_user(role=Role.ANALYST))
    assert client.get(f"/orders/{order.pk}/edit/").status_code == 403
    assert client.post(f"/orders/{order.pk}/delete/").status_code == 403
    assert "/edit/" not in client.get(f"/orders/{order.pk}/").content.decode()
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))
    assert client.post(f"/orders/{order.pk}/edit/", _order(status="refunded")).status_code == 404
    order.refresh_from_db()
    assert order.status == "completed"


def test_a_time_the_business_s_clock_skips_is_refused_on_its_field(signed_in, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # 2025-03-30 02:00 -> 03:00
    customer = make_customer()
    response = signed_in.post(
        f"/customers/{customer.pk}/orders/new/", _order(placed_at="2025-03-30T02:30:00")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_placed_at_error"' in page and "Europe/Berlin" in page
    assert not Order.objects.exists()
    response = signed_in.post(
        f"/customers/{customer.pk}/orders/new/", _order(placed_at="2025-03-30T03:30:00")
    )
    assert response.status_code == 302
    assert Order.objects.get().placed_at == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # CEST
