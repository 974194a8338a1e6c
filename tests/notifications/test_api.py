"""/api/v1/me/day and /api/v1/me/notifications: the worklist and the bell through the API, the
same figures and the same rules as the pages (tests/web/test_cockpit.py,
tests/web/test_myday_accounts.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.notifications.models import (
    AccountWorklistSnooze,
    Notification,
    NotificationKind,
    WorklistSnooze,
)
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user
from tests.web.test_cockpit import three  # noqa: F401  (the fixture: Sam's three customers)
from tests.web.test_myday_accounts import accounts  # noqa: F401  (Sam's three accounts)


def test_my_day_ranks_as_the_page_does(client, three):  # noqa: F811
    sam, big, small, risky, _today = three
    api = Api(client, user=sam)
    response = api.get("/me/day")
    assert response.status_code == 200, response.content
    day = response.json()
    # By hand (as the page's test): Risky 0.8 x 2000 x 30/60 = 800; Small 0.5 x 1000 x 1 = 500;
    # Big 0.1 x 10000 x 30/395 = 75.95. Someone else's customer is not on Sam's day.
    rows = [(row["customer_id"], round(row["ranking"]["score"], 2)) for row in day["customers"]]
    assert rows == [(risky.pk, 800.0), (small.pk, 500.0), (big.pk, 75.95)]
    first = day["customers"][0]["ranking"]
    assert first == {
        "score": pytest.approx(800.0),
        "risk": pytest.approx(0.8),
        "risk_source": "model",
        "value": "2000.00",  # money as a decimal string
        "urgency": pytest.approx(0.5),
        "days_to_renewal": 30,
    }
    assert day["customers"][0]["name"] == "Risky Mid"
    assert day["snoozed"] == 0 and day["tasks"] == []
    assert [row["customer_id"] for row in api.get("/me/day", limit=2).json()["customers"]] == [
        risky.pk,
        small.pk,
    ]
    refused = api.get("/me/day", limit=0)
    assert refused.status_code == 422 and "limit" in str(refused.json()["error"])


def test_snooze_and_done_through_the_api(client, three):  # noqa: F811
    sam, big, small, risky, today = three
    api = Api(client, user=sam)
    until = today + timedelta(days=3)
    snoozed = api.post(f"/me/day/customers/{risky.pk}/snooze", {"until": str(until)})
    assert snoozed.status_code == 200, snoozed.content
    assert snoozed.json() == {"until": str(until), "done": False}
    done = api.post(f"/me/day/customers/{small.pk}/done", {})
    assert done.json() == {"until": str(today + timedelta(days=1)), "done": True}
    day = api.get("/me/day").json()
    assert [row["customer_id"] for row in day["customers"]] == [big.pk]
    assert day["snoozed"] == 2
    # Today, or an impossible date, is refused on its field and nothing is stored.
    refused = api.post(f"/me/day/customers/{big.pk}/snooze", {"until": str(today)})
    assert refused.status_code == 422
    assert "until" in str(refused.json()["error"])
    bad = api.post(f"/me/day/customers/{big.pk}/snooze", {"until": "2026-02-30"})
    assert bad.status_code == 422
    assert not WorklistSnooze.objects.filter(customer=big).exists()


@pytest.mark.parametrize(
    ("role", "whose", "status"),
    [
        (Role.ANALYST, "sams", 403),  # reads only
        (Role.SUCCESS_MANAGER, "sams", 404),  # outside their book
        (Role.MANAGER, "sams", 200),  # sees everyone: sets it aside on their own list
        (Role.SUCCESS_MANAGER, "missing", 404),
    ],
)
def test_who_may_set_a_customer_aside(client, three, role, whose, status):  # noqa: F811
    _sam, big, *_ = three
    api = Api(client, role=role)
    target = big.pk if whose == "sams" else 987654
    response = api.post(f"/me/day/customers/{target}/done", {})
    assert response.status_code == status, response.content
    stored = WorklistSnooze.objects.filter(customer_id=target)
    assert stored.exists() is (status == 200)
    if status == 200:
        assert stored.get().user == api.user  # the caller's list, not Sam's


def test_accounts_through_the_api(client, accounts):  # noqa: F811
    sam, north, south, east, today = accounts
    api = Api(client, user=sam)
    day = api.get("/me/day").json()
    # By hand (as the page's test): North 900, South 400, East 379.75.
    assert [(row["account_id"], round(row["ranking"]["score"], 2)) for row in day["accounts"]] == [
        (north.pk, 900.0),
        (south.pk, 400.0),
        (east.pk, 379.75),
    ]
    assert day["accounts"][0]["open_tasks"] == 2 and day["accounts"][0]["customers"] == 2
    # Neither task is about a customer on Sam's list: by due date, then as created.
    assert [task["title"] for task in day["tasks"]] == ["Call North", "Visit N2"]
    assert day["tasks"][0]["account_id"] == north.pk and day["tasks"][0]["customer_id"] is None
    until = today + timedelta(days=5)
    assert api.post(f"/me/day/accounts/{north.pk}/snooze", {"until": str(until)}).json() == {
        "until": str(until),
        "done": False,
    }
    assert api.post(f"/me/day/accounts/{south.pk}/done", {}).status_code == 200
    day = api.get("/me/day").json()
    assert [row["account_id"] for row in day["accounts"]] == [east.pk]
    assert day["accounts_snoozed"] == 2
    analyst = Api(client, role=Role.ANALYST)
    assert analyst.post(f"/me/day/accounts/{east.pk}/done", {}).status_code == 403
    stranger = Api(client, role=Role.SUCCESS_MANAGER)
    assert stranger.post(f"/me/day/accounts/{east.pk}/done", {}).status_code == 404
    assert not AccountWorklistSnooze.objects.filter(account=east).exists()


def _notify(user, text: str, minutes_ago: int, customer=None) -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.MENTION,
        text=text,
        url="/customers/1/",
        customer=customer,
        key=f"{user.pk}:{text}",
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.mark.django_db
def test_notifications_are_each_ones_own_newest_first(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    customer = make_customer(owner=sam)
    old = _notify(sam, "old", 30)
    middle = _notify(sam, "middle", 20, customer)
    new = _notify(sam, "new", 10)
    theirs = _notify(other, "theirs", 5)
    api = Api(client, user=sam)
    items, pages = api.walk("/me/notifications", limit=2)
    assert [item["text"] for item in items] == ["new", "middle", "old"] and pages == 2
    assert items[1]["customer_id"] == customer.pk and items[1]["read_at"] is None
    # Another's notification cannot be marked: nothing changes.
    assert api.post("/me/notifications/read", {"id": theirs.pk}).json() == {"marked": 0}
    assert api.post("/me/notifications/read", {"id": middle.pk}).json() == {"marked": 1}
    unread = api.get("/me/notifications", unread="true").json()["items"]
    assert [item["id"] for item in unread] == [new.pk, old.pk]
    assert api.post("/me/notifications/read", {}).json() == {"marked": 2}
    assert api.get("/me/notifications", unread="true").json()["items"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # An analyst reads and marks their own too: reading is not changing the business's records.
    analyst = Api(client, role=Role.ANALYST)
    _notify(analyst.user, "for the analyst", 1)
    assert analyst.post("/me/notifications/read", {}).json() == {"marked": 1}
    assert api.post("/me/notifications/read", {"id": 0}).status_code == 422
