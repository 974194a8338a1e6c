"""The back office: every model of customers, orders and interactions has a working admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from tenure.customers.models import Consent, Contact, SpecialDate, Subscription
from tenure.interactions.models import Interaction
from tenure.orders.models import OrderLine
from tests.factories import T0, make_user

APPS = ("customers", "orders", "interactions")


@pytest.fixture
def records(book):
    grace = book["grace"]
    order = grace.orders.first()
    OrderLine.objects.create(order=order, description="Widget", unit_price=Decimal("1.00"))
    Contact.objects.create(account=grace.account, first_name="Wile")
    SpecialDate.objects.create(customer=grace, label="Anniversary", date=T0.date())
    Consent.objects.create(customer=grace, purpose="phone", granted=True, changed_at=T0)
    Subscription.objects.create(
        customer=grace, plan="Pro", amount=1, currency="USD", interval="month", started_at=T0
    )
    Interaction.objects.create(customer=grace, kind="note", occurred_at=T0, subject="Hello")


@pytest.fixture(params=["admin", "manager"])
def staff(client, db, request):
    """Admins and managers reach the admin; the role policy, not Django's permission table,
    decides what they may do there."""
    client.force_login(make_user(role=request.param))
    return client


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in APPS]


def test_every_model_of_these_apps_is_registered():
    names = {model._meta.label for model in registered_models()}
    assert names == {
        "customers.Account",
        "customers.Contact",
        "customers.Customer",
        "customers.SpecialDate",
        "customers.Consent",
        "customers.Subscription",
        "orders.Order",
        "orders.OrderLine",
        "interactions.Interaction",
    }


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_list_search_add_and_change_pages_open(staff, records, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert staff.get(changelist).status_code == 200
    assert staff.get(changelist, {"q": "grace"}).status_code == 200
    assert staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    instance = model._default_manager.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    assert staff.get(change).status_code == 200


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_no_foreign_key_is_a_select_of_every_row(model):
    """A <select> of 100,000 customers would make the page unusable: ids or autocomplete."""
    model_admin = admin.site._registry[model]
    picked = set(model_admin.raw_id_fields) | set(model_admin.autocomplete_fields)
    for field in model._meta.get_fields():
        if (field.many_to_one or field.many_to_many) and field.concrete and field.editable:
            assert field.name in picked, f"{model._meta.label}.{field.name}"
    assert model_admin.show_full_result_count is False


def test_a_customer_page_shows_and_edits_its_inline_rows(staff, records, book):
    page = staff.get(reverse("admin:customers_customer_change", args=[book["grace"].pk]))
    body = page.content.decode()
    assert "Anniversary" in body and "Pro" in body  # special dates, subscriptions
    assert 'name="subscriptions-TOTAL_FORMS"' in body  # editable, not read-only


def test_an_analyst_and_a_success_manager_stay_out(client, records):
    for role in ("analyst", "success_manager"):
        client.force_login(make_user(role=role))
        assert client.get(reverse("admin:customers_customer_changelist")).status_code == 302


def test_the_customer_list_joins_what_it_shows(staff, book, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        staff.get(reverse("admin:customers_customer_changelist"))
