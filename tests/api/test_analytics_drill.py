"""/api/v1/analytics/retention/customers: the customers behind a retention figure, as many as
it counts, within the caller's book."""

from __future__ import annotations

import pytest

from tenure.customers.models import Customer
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_user
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

Q2 = {"period": "2025-Q2", "rule": "fixed_days", "days": 60}


def test_the_lost_and_the_retained_of_the_hand_worked_quarter(client):
    domain_example()
    api = Api(client, Role.ANALYST)
    lost = api.get("/analytics/retention/customers", part="lost", **Q2)
    assert lost.status_code == 200, lost.content
    first = Customer.objects.order_by("pk").first()
    assert lost.json() == {"count": 1, "customer_ids": [first.pk]}
    kept = api.get("/analytics/retention/customers", part="retained", **Q2).json()
    joined = api.get("/analytics/retention/customers", part="joined", **Q2).json()
    figures = api.get("/analytics/retention", **Q2).json()
    assert kept["count"] == figures["S"] - figures["lost"] == 19
    assert joined["count"] == figures["N"] == 5
    assert kept["customer_ids"] == sorted(kept["customer_ids"])


def test_a_success_manager_gets_their_own_customers_only(client):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=mine, owned=3)
    body = Api(client, user=mine).get("/analytics/retention/customers", part="retained", **Q2)
    ids = body.json()["customer_ids"]
    assert len(ids) == 2
    assert set(Customer.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {mine.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [({**Q2, "part": "everyone"}, "part"), ({**Q2, "period": "2025-Q5"}, "period")],
)
def test_bad_input_is_a_422_naming_the_field(client, params, field):
    response = Api(client, Role.MANAGER).get("/analytics/retention/customers", **params)
    assert response.status_code == 422
    assert field in response.content.decode()
