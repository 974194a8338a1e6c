"""GET /api/v1/events: every event once, in commit order, page after page (a late commit
included); the filters; who may read which events; cursors that are not ours (422, never a
5xx). GET /api/v1/events/kinds: the registered kinds."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from tenure.events.kinds import event_kinds
from tenure.events.models import Event
from tenure.events.record import event_record
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_user

pytestmark = pytest.mark.django_db


def _order(customer, n):
    return order_create(
        external_id=f"E{n}", customer_id=customer.pk, placed_at=T0,
        amount=Decimal("1.00"), currency="EUR",
    )  # fmt: skip


def _walk(api, cursor=None, **params):
    """Every event from ``cursor`` on, page by page; (events, the last cursor, pages)."""
    events, pages = [], 0
    while True:
        query = dict(params, **({"after": cursor} if cursor else {}))
        response = api.get("/events", **query)
        assert response.status_code == 200, response.content
        page = response.json()
        pages += 1
        assert page["next_cursor"]
        if not page["events"]:
            return events, cursor, pages
        events += page["events"]
        cursor = page["next_cursor"]


def _in_order():
    return list(Event.objects.order_by("tx", "id").values_list("id", flat=True))


def test_pages_hold_every_event_once_in_order_and_a_later_one_follows(client):
    api = Api(client, role=Role.ADMIN)
    customers = [make_customer() for _ in range(5)]
    for n in range(20):
        _order(customers[n % 5], n)
    events, cursor, pages = _walk(api, limit=7)
    assert [e["id"] for e in events] == _in_order()
    assert len(events) == 25 and pages == 5  # 7, 7, 7, 4, then an empty page
    first = events[0]
    assert set(first) == {
        "id", "kind", "key", "customer_id", "subject", "subject_id", "at", "recorded_at",
        "via", "data",
    }  # fmt: skip
    assert first["kind"] == "customer.created" and first["customer_id"] == customers[0].pk

    # Written after the last page was read: the cursor it gave leads to it, and to no other.
    _order(customers[0], 99)
    later, _, _ = _walk(api, cursor)
    assert [e["kind"] for e in later] == ["order.placed"]
    assert later[0]["data"]["amount"] == "1.00"


def test_after_now_starts_at_the_end(client):
    api = Api(client, role=Role.ANALYST)
    customer = make_customer()
    page = api.get("/events", after="now").json()
    assert page["events"] == []
    _order(customer, 1)
    assert [e["kind"] for e in api.get("/events", after=page["next_cursor"]).json()["events"]] == [
        "order.placed"
    ]


def test_kinds_repeated_or_listed_and_a_customer(client):
    api = Api(client, role=Role.MANAGER)
    one, two = make_customer(), make_customer()
    _order(one, 1)
    _order(two, 2)
    repeated = api.get("/events", kind=["order.placed", "customer.created"]).json()["events"]
    listed = api.get("/events", kind="order.placed,customer.created").json()["events"]
    assert repeated == listed and len(listed) == 4
    placed = api.get("/events", kind="order.placed").json()["events"]
    assert [e["customer_id"] for e in placed] == [one.pk, two.pk]
    theirs = api.get("/events", customer_id=two.pk).json()["events"]
    assert {e["customer_id"] for e in theirs} == {two.pk} and len(theirs) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "order.placd"}, "kind"),
        ({"kind": ["order.placed", "nope"]}, "kind"),
        ({"after": "abc"}, "after"),
        ({"after": "1.2.3"}, "after"),
        ({"after": "-1.5"}, "after"),
        ({"after": "1."}, "after"),
        ({"after": "².1"}, "after"),
        ({"after": "99999999999999999999.1"}, "after"),
        ({"after": "1.9223372036854775808"}, "after"),
        ({"after": "1" * 70}, "after"),
        ({"after": "cGs6MTI"}, "after"),  # another list's cursor
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"customer_id": 2**63}, "customer_id"),
    ],
)
def test_what_is_not_a_cursor_kind_or_limit_is_a_field_error(client, params, field):
    api = Api(client, role=Role.ADMIN)
    response = api.get("/events", **params)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_the_largest_cursor_is_read_as_one(client):
    api = Api(client, role=Role.ADMIN)
    make_customer()
    top = f"{2**63 - 1}.{2**63 - 1}"
    page = api.get("/events", after=top).json()
    assert page == {"events": [], "next_cursor": top}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER])
def test_who_reads_which_events(client, role):
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    reader = success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    api = Api(client, user=reader)
    own = make_customer(owner=success_manager)
    theirs = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER))
    _order(own, 1)
    _order(theirs, 2)
    event_record("import.committed", subject="import", subject_id=1, customer_id=None)
    read = api.get("/events").json()["events"]
    customers = [e["customer_id"] for e in read]
    if role == Role.SUCCESS_MANAGER:  # their book only: an import's event is no one's book
        assert customers == [own.pk, own.pk]
        assert api.get("/events", customer_id=theirs.pk).json()["events"] == []
    else:
        assert customers == [own.pk, theirs.pk, own.pk, theirs.pk, None]
    kinds = api.get("/events/kinds")
    assert kinds.status_code == 200
    assert [k["name"] for k in kinds.json()] == [k.name for k in event_kinds()]
    placed = next(k for k in kinds.json() if k["name"] == "order.placed")
    assert placed["dated"] is True and placed["description"]


def test_no_token_no_events(client):
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/api/v1/events/kinds").status_code == 401


def _walk_settled(api, cursor, count):
    """``_walk`` until ``count`` events are there: settled means older than every transaction
    running on the server, other databases' too (PostgreSQL's transaction ids are the
    cluster's), so another test run's open transaction on a shared server holds pages back."""
    for _ in range(240):
        events, last, _ = _walk(api, cursor)
        if len(events) >= count:
            return events, last
        time.sleep(0.5)
    raise AssertionError(f"{len(events)} events of {count}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite commits in id order")
def test_an_event_committed_late_with_a_smaller_id_is_not_skipped(client):
    """A transaction draws its event's id, then commits after a later one: a reader that
    paged past the later one must still get the earlier id (PostgreSQL)."""
    api = Api(client, role=Role.ADMIN)
    customer = make_customer()
    _, cursor = _walk_settled(api, None, 1)
    written, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                event_record("import.committed", subject="import", subject_id=7, customer_id=None)
                written.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(20)
    _order(customer, 1)  # a larger id, committed first
    early, cursor_then, _ = _walk(api, cursor)
    assert early == []  # not settled: the slow transaction may still come before it
    assert cursor_then == cursor
    release.set()
    thread.join(20)
    late, _ = _walk_settled(api, cursor, 2)
    # (then the lifecycle engine's stage events for the order, if it placed the customer)
    written = [e for e in late if not e["kind"].startswith("stage.")]
    assert [e["kind"] for e in written] == ["import.committed", "order.placed"]
    assert late[0]["id"] < late[1]["id"]
