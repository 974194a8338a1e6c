"""GET /api/v1/accounts/{id}/report (JSON; money as decimal strings) and /report.pdf, with a
table of every role against its own account and another's; a bad period is a 422."""

from __future__ import annotations

import pytest

from tests.api.helpers import Api
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def test_the_report_as_json_with_money_as_strings(client, acme):
    response = Api(client, user=acme.owner).get(
        f"/accounts/{acme.account.pk}/report", period="2025-Q3"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["account_name"], body["period"], body["next_period"]) == (
        "Acme Rockets", "2025-Q3", "2025-Q4"
    )  # fmt: skip
    results = body["results"]
    assert results["spend"] == [
        {"amount": "199.75", "currency": "USD"}, {"amount": "10.00", "currency": "EUR"}
    ]  # fmt: skip
    assert results["spend_change_percent"] == 166.3
    assert (results["orders"], results["issues_resolved"]) == (3, 2)
    assert (results["scores"]["nps"]["n"], results["scores"]["nps"]["score"]) == (4, 25.0)
    metrics = {m["metric"]: m["value"] for m in body["metrics"]}
    assert metrics["leads"] == "300.00" and metrics["lifetime_value"] == "1200.50"
    assert body["plan"]["next_review"] == "2025-10-15"
    assert body["done"]["interactions"]["Meeting"] == 1


def test_a_bad_period_is_a_422_naming_it(client, acme):
    response = Api(client, role="manager").get(f"/accounts/{acme.account.pk}/report", period="2025")
    assert response.status_code == 422
    assert "period" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("role", "own", "want"),
    [("admin", False, 200), ("manager", False, 200), ("analyst", False, 200),
     ("success_manager", True, 200), ("success_manager", False, 404)],
)  # fmt: skip
def test_the_report_under_the_roles(client, role, own, want):
    user = make_user(role=role)
    account = make_account(owner=user if own else make_user(role="success_manager"))
    api = Api(client, user=user)
    json_answer = api.get(f"/accounts/{account.pk}/report", period="2025-07")
    assert json_answer.status_code == want
    pdf = api.get(f"/accounts/{account.pk}/report.pdf", period="2025-07")
    assert pdf.status_code == want
    if want == 200:
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    else:
        assert json_answer.json()["error"]["code"] == "not_found"
