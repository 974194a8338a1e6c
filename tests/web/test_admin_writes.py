"""Writes in the admin reach what the services' writes reach: an order edited or deleted there
moves its customers' cached figures and lifecycle, a complaint added there opens its follow-up.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.lifecycle.models import CustomerStage
from tenure.orders.models import Order
from tenure.todos.models import Task
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would post from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "checkbox"}:
            self.values[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            self.values[name] = a.get("value", "on")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _post_change(client, url: str, **changes: str):
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    return client.post(url, {**parser.values, **changes})


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(role="admin"))
    return client


def test_an_order_edited_in_the_admin_moves_the_figures_and_the_stage(
    admin_client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    customer = make_customer()
    order = make_order(customer=customer, placed_at=now - timedelta(days=20), amount="35.09")
    url = reverse("admin:orders_order_change", args=[order.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(admin_client, url, amount="9999.99")
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.revenue == Decimal("9999.99")
    assert CustomerStage.objects.filter(customer=customer).exists()  # the lifecycle heard it

    other = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        moved = _post_change(admin_client, url, customer=str(other.pk))
    assert moved.status_code == 302
    customer.refresh_from_db()
    other.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (0, Decimal("0"))
    assert (other.orders_count, other.revenue) == (1, Decimal("9999.99"))


def test_an_order_deleted_in_the_admin_leaves_the_figures(
    admin_client, django_capture_on_commit_callbacks
):
    customer = make_customer()
    kept = make_order(customer=customer, amount="10.00")
    gone = make_order(customer=customer, amount="25.00")
    url = reverse("admin:orders_order_delete", args=[gone.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("10.00"))
    assert list(Order.objects.filter(customer=customer)) == [kept]

    changelist = reverse("admin:orders_order_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
        )
    assert done.status_code == 302
    assert Customer.objects.get(pk=customer.pk).orders_count == 0


def test_a_complaint_added_in_the_admin_opens_its_follow_up(
    admin_client, django_capture_on_commit_callbacks
):
    owner = make_user(role="success_manager")
    customer = make_customer(owner=owner)
    url = reverse("admin:interactions_interaction_add")
    now = timezone.localtime()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(
            admin_client, url, customer=str(customer.pk), kind="complaint", status="open",
            subject="Cracked mug", occurred_at_0=now.date().isoformat(),
            occurred_at_1=now.strftime("%H:%M:%S"),
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    task = Task.objects.get(customer=customer)
    assert task.owner == owner
