"""`tenure events` shows each follower's position and catches them up; the admin shows events
and positions to admins only."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.urls import reverse

from tenure.cli.main import cli, register_commands
from tenure.events.models import ConsumerPosition
from tenure.lifecycle.models import CustomerStage
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.factories import T0, make_customer, make_user

pytestmark = pytest.mark.django_db


def test_tenure_events_drains_what_waits_and_says_where_each_follower_is(settings):
    settings.EVENTS_DELIVERY = "worker"  # nobody follows in this process
    customer = make_customer()
    order_create(external_id="E1", customer_id=customer.pk, placed_at=T0, amount=5, currency="EUR")
    assert not CustomerStage.objects.filter(customer=customer).exists()
    register_commands()
    shown = CliRunner().invoke(cli, ["events", "--drain"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "lifecycle.stages: handled" in shown.output
    assert CustomerStage.objects.filter(customer=customer).exists()
    assert ConsumerPosition.objects.get(name="lifecycle.stages").handled >= 2


@pytest.mark.parametrize(("role", "allowed"), [(Role.ADMIN, True), (Role.MANAGER, False)])
def test_the_events_admin_is_for_admins(client, role, allowed):
    client.force_login(make_user(role=role, is_staff=True))
    for name in ("admin:events_event_changelist", "admin:events_consumerposition_changelist"):
        response = client.get(reverse(name))
        assert (response.status_code == 200) is allowed, (name, response.status_code)
