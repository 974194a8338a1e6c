"""/api/v1/accounts, /contacts and /subscriptions: CRUD, filters, pages, errors, roles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.customers.models import Account, Contact, Subscription
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_customer, make_user

pytestmark = pytest.mark.django_db


def test_accounts(client):
    api = Api(client)
    created = api.post(
        "/accounts",
        {"name": "Initech", "industry": "software", "size_band": "51-200", "budget_band": "high"},
    )
    assert created.status_code == 201, created.content
    account_id = created.json()["id"]
    assert api.post("/accounts", {"name": "Initech"}).status_code == 422  # unique name
    bad_band = api.post("/accounts", {"name": "X", "size_band": "huge"})
    assert bad_band.status_code == 422
    assert "size_band" in bad_band.json()["error"]["fields"]

    for n in range(4):
        make_account(name=f"Other {n}", industry="retail")
    retail, pages = api.walk("/accounts", industry="retail", limit=3)
    assert [a["name"] for a in retail] == [f"Other {n}" for n in range(4)]
    assert pages == 2
    assert [a["name"] for a in api.get("/accounts", q="initech").json()["items"]] == ["Initech"]

    changed = api.patch(f"/accounts/{account_id}", {"budget_band": "strategic"})
    assert changed.json()["budget_band"] == "strategic"
    assert changed.json()["size_band"] == "51-200"
    assert api.delete(f"/accounts/{account_id}").status_code == 204
    assert not Account.objects.filter(pk=account_id).exists()


def test_contacts_keep_one_primary(client):
    api = Api(client)
    account = make_account()
    first = api.post(
        "/contacts",
        {
            "account_id": account.pk,
            "first_name": "Ann",
            "role": "decision_maker",
            "is_primary": True,
        },
    )
    assert first.status_code == 201, first.content
    second = api.post(
        "/contacts", {"account_id": account.pk, "first_name": "Bob", "is_primary": True}
    )
    assert second.status_code == 201
    primaries = Contact.objects.filter(account=account, is_primary=True)
    assert list(primaries.values_list("first_name", flat=True)) == ["Bob"]

    assert api.post("/contacts", {"first_name": "Nobody"}).status_code == 422
    wrong_role = api.post(
        "/contacts", {"account_id": account.pk, "first_name": "C", "role": "boss"}
    )
    assert wrong_role.status_code == 422
    listed = api.get("/contacts", account_id=account.pk, role="decision_maker").json()["items"]
    assert [c["first_name"] for c in listed] == ["Ann"]
    assert api.delete(f"/contacts/{first.json()['id']}").status_code == 204


def test_subscriptions(client):
    api = Api(client)
    customer = make_customer()
    body = {
        "customer_id": customer.pk,
        "plan": "Pro",
        "amount": "29.90",
        "currency": "EUR",
        "interval": "month",
        "started_at": "2025-01-01T00:00:00Z",
    }
    created = api.post("/subscriptions", body)
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "29.90"
    assert Subscription.objects.get().amount == Decimal("29.90")

    too_precise = api.post("/subscriptions", {**body, "amount": "1.999"})
    assert too_precise.status_code == 422
    assert "amount" in too_precise.json()["error"]["fields"]
    reason_only = api.post("/subscriptions", {**body, "cancellation_reason": "price"})
    assert reason_only.status_code == 422
    bad_currency = api.post("/subscriptions", {**body, "currency": "eur"})
    assert "currency" in bad_currency.json()["error"]["fields"]

    subscription_id = created.json()["id"]
    cancelled = api.patch(
        f"/subscriptions/{subscription_id}",
        {"cancelled_at": "2025-06-01T00:00:00Z", "cancellation_reason": "moved to a rival"},
    )
    assert cancelled.status_code == 200
    assert api.get("/subscriptions", active="false").json()["items"][0]["id"] == subscription_id
    assert api.get("/subscriptions", active="true").json()["items"] == []
    before_start = api.patch(
        f"/subscriptions/{subscription_id}", {"cancelled_at": "2024-01-01T00:00:00Z"}
    )
    assert before_start.status_code == 422


def test_success_manager_reaches_only_their_book(client):
    sm = Api(client, Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_account(name="Mine", owner=sm.user)
    theirs = make_account(name="Theirs", owner=other)
    their_customer = make_customer(owner=other)
    Contact.objects.create(account=theirs, first_name="Hidden")
    Subscription.objects.create(
        customer=their_customer, plan="P", amount=1, currency="USD", interval="month", started_at=T0
    )

    assert [a["name"] for a in sm.get("/accounts").json()["items"]] == ["Mine"]
    assert sm.get(f"/accounts/{theirs.pk}").status_code == 404
    assert sm.get("/contacts").json()["items"] == []
    assert sm.get("/subscriptions").json()["items"] == []
    # Referencing someone else's record reads as "no such record", not as "forbidden".
    attach = sm.post("/contacts", {"account_id": theirs.pk, "first_name": "Sneaky"})
    assert attach.status_code == 422
    assert "account_id" in attach.json()["error"]["fields"]
    assert sm.post("/contacts", {"account_id": mine.pk, "first_name": "Fine"}).status_code == 201
    created = sm.post("/accounts", {"name": "New for me"})
    assert created.json()["owner_id"] == sm.user.pk
