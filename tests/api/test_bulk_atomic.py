"""``POST /api/v1/orders/bulk``: a result per order whatever happens to one of them, each order
stored whole or not at all, and nothing revealed about an order outside the caller's scope."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q, Sum

from tenure.access.records import REFUSED, TAKEN
from tenure.customers.models import Customer
from tenure.orders.ingest import orders_ingest
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _item(customer, external_id, **fields):
    return {
        "external_id": external_id,
        "customer_id": customer.pk,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
        **fields,
    }


def _figures_are_right(*customers) -> None:
    """Each customer's cached figures match a recount of their completed orders."""
    for customer in customers:
        customer.refresh_from_db()
        real = Order.objects.filter(customer=customer, status="completed").aggregate(
            n=Count("id"), total=Sum("amount")
        )
        assert customer.orders_count == real["n"], customer
        assert customer.revenue == (real["total"] or Decimal("0")), customer


def _created_history(external_id: str) -> int:
    order = Order.objects.filter(external_id=external_id).first()
    if order is None:
        return 0
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order),
        object_id=order.pk,
        action=LogEntry.Action.CREATE,
    ).count()


@pytest.fixture
def book(client):
    """A success manager with a customer of their own, and another one's customer and order."""
    sm = Api(client, Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_customer(owner=sm.user)
    theirs = make_customer(owner=other)
    their_order = make_order(
        customer=theirs, external_id="THEIRS-1", amount=Decimal("99.00"), placed_at=T0
    )
    return sm, mine, theirs, their_order


def test_an_out_of_scope_order_in_the_middle_is_that_order_s_error_only(client, book):
    sm, mine, theirs, their_order = book
    make_order(customer=mine, external_id="MINE-0", amount=Decimal("5.00"))
    batch = [
        _item(mine, "NEW-1"),
        _item(mine, "THEIRS-1", amount="0.01", status="refunded"),  # someone else's order
        _item(mine, "NEW-2", amount="2.50"),
        _item(mine, "MINE-0", amount="7.00"),  # mine: an update
        _item(theirs, "NEW-3"),  # someone else's customer
        _item(mine, "NEW-4", amount="1.00"),
    ]
    answer = sm.post("/orders/bulk", {"orders": batch})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "error"),
        (2, "created"),
        (3, "updated"),
        (4, "error"),
        (5, "created"),
    ]
    # The words of a value in use, whoever holds it; no id, nothing of the order.
    assert results[1] == {
        "index": 1,
        "status": "error",
        "id": None,
        "errors": {"external_id": [TAKEN]},
    }
    assert results[4]["errors"] == {"customer_id": [f"no customer with id {theirs.pk}"]}
    # The same words as for a customer id that does not exist at all.
    unknown = sm.post("/orders/bulk", {"orders": [{**_item(mine, "NEW-5"), "customer_id": 10**9}]})
    assert unknown.json()["results"][0]["errors"] == {
        "customer_id": [f"no customer with id {10**9}"]
    }
    # And the same words as creating the order one at a time, inside or outside the scope.
    single = sm.post("/orders", _item(mine, "THEIRS-1"))
    assert single.json()["error"]["fields"] == {"external_id": [TAKEN]}
    single_mine = sm.post("/orders", _item(mine, "NEW-1"))
    assert single_mine.json() == single.json()

    their_order.refresh_from_db()
    assert (their_order.customer_id, their_order.amount, their_order.status) == (
        theirs.pk,
        Decimal("99.00"),
        "completed",
    )
    assert sorted(Order.objects.filter(customer=mine).values_list("external_id", "amount")) == [
        ("MINE-0", Decimal("7.00")),
        ("NEW-1", Decimal("10.00")),
        ("NEW-2", Decimal("2.50")),
        ("NEW-4", Decimal("1.00")),
    ]
    assert all(_created_history(eid) == 1 for eid in ("NEW-1", "NEW-2", "NEW-4"))
    _figures_are_right(mine, theirs)


def test_a_retry_without_a_key_is_unchanged_and_with_one_replays(client, book):
    sm, mine, _, _ = book
    batch = {"orders": [_item(mine, "R-1"), _item(mine, "THEIRS-1"), _item(mine, "R-2")]}
    first = sm.post("/orders/bulk", batch, **{"Idempotency-Key": "bulk-1"})
    assert [r["status"] for r in first.json()["results"]] == ["created", "error", "created"]

    replay = sm.post("/orders/bulk", batch, **{"Idempotency-Key": "bulk-1"})
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content

    again = sm.post("/orders/bulk", batch).json()["results"]
    assert [r["status"] for r in again] == ["unchanged", "error", "unchanged"]
    assert [r["id"] for r in again] == [r["id"] for r in first.json()["results"]]
    assert Order.objects.filter(external_id__in=["R-1", "R-2"]).count() == 2
    assert all(_created_history(eid) == 1 for eid in ("R-1", "R-2"))
    _figures_are_right(mine)


def test_each_invalid_item_is_its_own_error_not_a_422_for_the_batch(client, book):
    sm, mine, _, _ = book
    batch = [
        _item(mine, "V-1"),
        _item(mine, "V-2", amount="a lot"),
        _item(mine, "V-3", placed_at="not a date"),
        "not an order",
        {"external_id": "V-5"},  # fields missing
        _item(mine, "V-6", placed_at="9999-12-31T23:59:59-12:00"),  # beyond year 9999 in UTC
        _item(mine, "V-7", amount="-1.00"),  # a model rule, not a type
        _item(mine, "V-8"),
    ]
    answer = sm.post("/orders/bulk", {"orders": batch})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert [r["status"] for r in results] == ["created"] + ["error"] * 6 + ["created"]
    assert "amount" in results[1]["errors"]
    assert "placed_at" in results[2]["errors"]
    assert results[3]["errors"]  # says it is not an object
    assert {"customer_id", "placed_at", "amount", "currency"} <= set(results[4]["errors"])
    assert results[5]["errors"]
    assert "amount" in results[6]["errors"]
    assert set(Order.objects.filter(customer=mine).values_list("external_id", flat=True)) == {
        "V-1",
        "V-8",
    }
    _figures_are_right(mine)
    # The request as a whole is still refused for what is wrong with it as a whole.
    assert sm.post("/orders/bulk", {"orders": "none"}).status_code == 422
    too_many = {"orders": [_item(mine, f"M{n}") for n in range(1001)]}
    assert sm.post("/orders/bulk", too_many).status_code == 422


def test_a_nul_character_costs_only_its_order(client, book):
    sm, mine, _, _ = book
    batch = [_item(mine, "Z-1"), _item(mine, "Z-\x00-2"), _item(mine, "Z-3")]
    answer = sm.post("/orders/bulk", {"orders": batch})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created"]
    assert "external_id" in results[1]["errors"]
    assert set(Order.objects.values_list("external_id", flat=True)) == {"THEIRS-1", "Z-1", "Z-3"}
    _figures_are_right(mine)


_TRIGGER = {
    # A rule only the database knows: the order in the middle fails at its insert.
    "sqlite": [
        """CREATE TRIGGER refuse_order BEFORE INSERT ON orders_order
           WHEN NEW.external_id = 'REFUSED-BY-DB'
           BEGIN SELECT RAISE(ABORT, 'refused by a rule of the database'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.external_id = 'REFUSED-BY-DB' THEN
               RAISE EXCEPTION 'refused by a rule of the database'
                 USING ERRCODE = 'check_violation';
             END IF;
             RETURN NEW;
           END $$""",
        """CREATE TRIGGER refuse_order BEFORE INSERT ON orders_order
           FOR EACH ROW EXECUTE FUNCTION refuse_order()""",
    ],
}


def test_an_order_the_database_refuses_mid_batch_is_rolled_back_alone(client, book):
    sm, mine, _, _ = book
    other_mine = make_customer(owner=sm.user)
    with connection.cursor() as cursor:
        for statement in _TRIGGER[connection.vendor]:
            cursor.execute(statement)
    batch = [
        _item(mine, "D-1", amount="1.00"),
        _item(other_mine, "D-2", amount="2.00"),
        _item(mine, "REFUSED-BY-DB", amount="4.00"),
        _item(other_mine, "D-4", amount="8.00"),
        _item(mine, "D-5", amount="16.00"),
    ]
    answer = sm.post("/orders/bulk", {"orders": batch})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "created", "created"]
    assert results[2]["errors"] == {"__all__": [REFUSED]}
    assert not Order.objects.filter(external_id="REFUSED-BY-DB").exists()
    stored = dict(Order.objects.values_list("external_id", "pk"))
    created = ("D-1", "D-2", "D-4", "D-5")
    assert [r["id"] for r in results if r["id"]] == [stored[e] for e in created]
    assert all(_created_history(eid) == 1 for eid in created)
    assert not LogEntry.objects.filter(object_repr="Order REFUSED-BY-DB").exists()
    _figures_are_right(mine, other_mine)
    mine.refresh_from_db()
    assert mine.revenue == Decimal("17.00")


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_writer_between_check_and_insert_costs_no_other_order():
    """A real race on PostgreSQL: another connection stores two of the batch's external ids
    (one for the caller's customer, with the same values; one for someone else's) after the
    batch looked them up and before it inserts. The batch's set-wise insert then fails; every
    order goes one by one, and only those two get another result than ``created``."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite lets one writer at a time in (BEGIN IMMEDIATE): no other connection can "
            "store anything between the batch's check and its insert"
        )
    sm = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_customer(owner=sm)
    theirs = make_customer(owner=other)
    placed = T0 + timedelta(days=3)

    def fields(customer, external_id):
        return {
            "external_id": external_id,
            "customer_id": customer.pk,
            "placed_at": placed,
            "amount": Decimal("10.00"),
            "currency": "USD",
            "status": "completed",
        }

    batch = [
        fields(mine, "RACE-1"),
        fields(mine, "RACE-SAME"),  # the other writer stores this one, identical
        fields(mine, "RACE-2"),
        fields(mine, "RACE-THEIRS"),  # ... and this one, for someone else's customer
        fields(mine, "RACE-3"),
    ]
    stored_by_other = threading.Event()
    commit_now = threading.Event()
    outcome: dict[str, object] = {}

    def other_writer() -> None:
        from django.db import connection as own
        from django.db import transaction

        try:
            with transaction.atomic():
                order_create(**fields(mine, "RACE-SAME"))
                order_create(**{**fields(theirs, "RACE-THEIRS"), "amount": Decimal("99.00")})
                stored_by_other.set()
                assert commit_now.wait(60)
        except BaseException as error:
            outcome["other"] = error
            stored_by_other.set()
        finally:
            own.close()

    def batch_writer() -> None:
        from django.db import connection as own

        try:
            outcome["results"] = orders_ingest(by=sm, orders=[dict(item) for item in batch])
        except BaseException as error:
            outcome["batch"] = error
        finally:
            own.close()

    other_thread = threading.Thread(target=other_writer)
    other_thread.start()
    assert stored_by_other.wait(60)
    batch_thread = threading.Thread(target=batch_writer)
    batch_thread.start()
    # The batch has looked the ids up (the other rows are not committed, so not seen) and now
    # waits for the other writer's locks: let the other writer commit.
    with connection.cursor() as cursor:
        for _ in range(600):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the batch never waited for the other writer")
    commit_now.set()
    other_thread.join(60)
    batch_thread.join(60)
    assert "other" not in outcome and "batch" not in outcome, outcome

    results = outcome["results"]
    same = Order.objects.get(external_id="RACE-SAME")
    assert [(r["status"], r["errors"]) for r in results] == [
        ("created", {}),
        ("unchanged", {}),
        ("created", {}),
        ("error", {"external_id": [TAKEN]}),
        ("created", {}),
    ]
    assert results[1]["id"] == same.pk
    assert results[3]["id"] is None
    assert Order.objects.filter(external_id__startswith="RACE").count() == 5
    their_order = Order.objects.get(external_id="RACE-THEIRS")
    assert (their_order.customer_id, their_order.amount) == (theirs.pk, Decimal("99.00"))
    assert all(_created_history(eid) == 1 for eid in ("RACE-1", "RACE-2", "RACE-3"))
    _figures_are_right(mine, theirs)
    assert Customer.objects.get(pk=mine.pk).orders_count == 4
    assert not Order.objects.filter(Q(external_id="RACE-THEIRS") & Q(customer=mine)).exists()
