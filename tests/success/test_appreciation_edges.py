"""Appreciation through the API and the pages: a key sent twice records one, bad input is a
422 naming the field (a form error on the page), the account's card and the team's list show
who was thanked, when and the total cost."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.success.models import Appreciation
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_user

pytestmark = pytest.mark.django_db


def test_the_api_records_once_per_key_and_names_bad_fields(client):
    api = Api(client, role="manager")
    account = make_account(name="Acme")
    body = {"account_id": account.pk, "kind": "event_invitation", "cost": "80.00",
            "description": "Summer gala", "given_on": "2025-06-01", "key": "gala-acme"}  # fmt: skip
    first, again = api.post("/appreciations", body), api.post("/appreciations", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["cost"] == "80.00"
    assert first.json()["currency"] == "USD"
    for field, value in (("cost", "-5"), ("cost", "1.234"), ("kind", "bribe"), ("currency", "E")):
        refused = api.post("/appreciations", {**body, "key": None, field: value})
        assert refused.status_code == 422, refused.content
        assert field in refused.json()["error"]["fields"], refused.json()
    listed = api.get("/appreciations", kind="event_invitation", given_after="2025-01-01")
    assert [a["id"] for a in listed.json()["items"]] == [first.json()["id"]]
    assert api.delete(f"/appreciations/{first.json()['id']}").status_code == 204
    assert not Appreciation.objects.exists()


def test_the_account_page_records_one_and_shows_it_with_this_years_cost(client):
    sm = make_user(role="success_manager")
    account = make_account(owner=sm, name="Acme")
    client.force_login(sm)
    url = f"/accounts/{account.pk}/appreciation/new/"
    today = timezone.localdate().isoformat()
    refused = client.post(url, {"kind": "gift", "given_on": today, "cost": "-1", "currency": "USD"})
    assert refused.status_code == 422
    assert "greater than or equal to 0" in refused.content.decode()
    for cost in ("25.00", "7.50"):
        done = client.post(url, {"kind": "gift", "given_on": today, "cost": cost,
                                 "currency": "USD", "description": "Flowers"})  # fmt: skip
        assert done.status_code == 302
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert 'id="appreciation"' in page and "This year: 2 given, $32.50" in page
    team = client.get("/appreciation/", {"kind": "gift"}).content.decode()
    assert "2</strong> given, <strong>$32.50" in team and "Flowers" in team
    assert sorted(Appreciation.objects.values_list("cost", flat=True)) == [
        Decimal("7.50"), Decimal("25.00"),
    ]  # fmt: skip
    bad = client.get("/appreciation/", {"given_after": "yesterday"})
    assert bad.status_code == 422 and "given_after" in bad.content.decode()


def test_a_persons_export_lists_their_appreciation_and_erasure_removes_its_words():
    from auditlog.models import LogEntry

    from tenure.privacy.services import person_erase, person_export
    from tenure.success.appreciation import appreciation_record

    account = make_account()
    ann = make_customer(account=account, first_name="Ann")
    other = make_customer(account=account)
    now = datetime(2025, 6, 2, 10, tzinfo=UTC)
    mine, _ = appreciation_record(
        by=None, account_id=account.pk, now=now,
        data={"kind": "gift", "customer_id": ann.pk, "description": "Flowers for Ann's birthday",
              "cost": "30.00", "currency": "EUR", "given_on": date(2025, 6, 1)},
    )  # fmt: skip
    theirs, _ = appreciation_record(
        by=None, account_id=account.pk, now=now,
        data={"kind": "gift", "customer_id": other.pk, "description": "Wine",
              "currency": "EUR", "given_on": date(2025, 6, 1)},
    )  # fmt: skip
    assert LogEntry.objects.get_for_object(mine).exists()

    exported = person_export(customer_id=ann.pk)["appreciations"]
    assert [(a["id"], a["description"]) for a in exported] == [
        (mine.pk, "Flowers for Ann's birthday")
    ]
    counts = person_erase(customer_id=ann.pk)
    assert counts["appreciations"] == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.description, mine.cost, mine.kind) == ("[erased]", Decimal("30.00"), "gift")
    assert theirs.description == "Wine"
    assert not LogEntry.objects.get_for_object(mine).exists()  # its history held the words
    assert LogEntry.objects.get_for_object(theirs).exists()
