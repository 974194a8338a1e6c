"""The pages' query strings with hostile values: never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

PAGES = (
    "/customers/",
    "/accounts/",
    "/analytics/",
    "/lifecycle/",
    "/tasks/",
    "/customers/export.csv",
    "/customers/orders.csv",
)
VALUES = (
    "0001-01-01",
    "9999-12-31",
    "99999999999999999999999",
    "-1",
    "%ED%A0%80",  # a lone surrogate's bytes
    "%FF",  # not UTF-8
    "%00",
    "x" * 5000,
    "2025-01-01T00:00:00+23:00",
    "NaN",
)
PARAMETERS = (
    "q",
    "page",
    "owner",
    "account",
    "end",
    "count",
    "gap_multiple",
    "customer",
    "before",
    "period",
    "sort",
    "owner_id",
    "account_id",
    "customer_id",
    "budget_band",
    "status",
    "view",
    # The lists' facts from the apps above, the columns chosen and the saved view open.
    "stage",
    "health",
    "clv_min",
    "clv_max",
    "churn_risk_min",
    "last_order_after",
    "last_order_before",
    "cols",
    "saved",
)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_answers_a_hostile_query_with_a_server_error(client, page):
    client.force_login(make_user(role="admin"))
    customer = make_customer(external_id="C1")
    for value in VALUES:  # every parameter a page reads, all at once: forms check each alone
        shown = value if value.startswith("%") else quote(value)
        query = "&".join(f"{name}={shown}" for name in PARAMETERS)
        response = client.get(f"{page}?{query}")
        assert response.status_code < 500, (page, value)
    for value in VALUES:
        shown = value if value.startswith("%") else quote(value)
        response = client.get(f"/customers/{customer.pk}/?before={shown}")
        assert response.status_code < 500, value
