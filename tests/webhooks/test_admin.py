"""The delivery log in the admin: admins only; the secret is never on a page; a failed
delivery is sent again by the action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.events.consumers import consumer_drain
from tenure.webhooks.following import DELIVERIES
from tenure.webhooks.models import Delivery, DeliveryStatus
from tenure.webhooks.services import endpoint_create
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

PAGES = ["webhooks_endpoint", "webhooks_delivery"]


@pytest.fixture
def failed():
    endpoint, secret = endpoint_create(by=None, url="https://hooks.example.com/x")
    make_customer()
    consumer_drain(DELIVERIES)
    Delivery.objects.update(status=DeliveryStatus.FAILED, attempts=11, last_error="gave up")
    return endpoint, secret


# Managers reach the admin (staff) but not these pages; the others are not staff at all.
STATUS = {"admin": 200, "manager": 403, "analyst": 302, "success_manager": 302}


@pytest.mark.parametrize("role", list(STATUS))
def test_admins_only(client, failed, role):
    endpoint, secret = failed
    client.force_login(make_user(role=role))
    for page in PAGES:
        response = client.get(reverse(f"admin:{page}_changelist"))
        assert response.status_code == STATUS[role], page
    change = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert change.status_code == STATUS[role]
    if role == "admin":
        assert secret not in change.content.decode()
        log = client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
        assert "gave up" in log and "customer.created" in log


def test_send_again_now(client, failed):
    client.force_login(make_user(role="admin"))
    delivery = Delivery.objects.get()
    response = client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
