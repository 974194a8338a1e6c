"""Personal-data export and erase from the customer page: admins only, CSRF-protected."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tenure.customers.models import Customer
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def test_admin_exports_and_erases_from_the_page(client):
    client.force_login(make_user(role="admin"))
    customer = make_customer(first_name="Ottoline", email="ottoline@example.org")
    make_order(customer=customer)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Erase personal data" in page

    export = client.get(f"/customers/{customer.pk}/personal-data.json")
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]
    assert json.loads(export.content)["customer"]["email"] == "ottoline@example.org"

    erased = client.post(f"/customers/{customer.pk}/erase/")
    assert erased.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.email, customer.orders_count) == ("", "", 1)


@pytest.mark.parametrize("role", ["manager", "success_manager", "analyst"])
def test_other_roles_see_no_button_and_are_refused(client, role):
    user = make_user(role=role)
    client.force_login(user)
    customer = make_customer(first_name="Kept", owner=user)
    assert "Erase personal data" not in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.get(f"/customers/{customer.pk}/personal-data.json").status_code == 403
    assert client.post(f"/customers/{customer.pk}/erase/").status_code == 403
    assert Customer.objects.get(pk=customer.pk).first_name == "Kept"


def test_erase_needs_the_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user(role="admin"))
    customer = make_customer(first_name="Kept")
    assert strict.post(f"/customers/{customer.pk}/erase/").status_code == 403
    assert Customer.objects.get(pk=customer.pk).first_name == "Kept"
