"""No API answer tells a record outside the caller's scope from one that does not exist, nor
one outside from one inside where the answer cannot help but mention it (a unique value in use).

Each test asks the same question twice and compares the answers byte for byte (after putting
the id the caller sent, which some messages repeat, back to a placeholder): once about a record
of another success manager's book, once about a record that does not exist, or one of the
caller's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from tenure.access.records import TAKEN
from tenure.customers.models import Contact, Subscription
from tenure.feedback.services import referral_create, survey_response_create
from tenure.interactions.services import interaction_log
from tenure.orders.models import Order
from tenure.todos.services import task_create
from tenure.users.models import ApiToken, Role
from tenure.users.services import api_token_create, api_token_revoke
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db

MISSING = 987_654_321  # an id no record has


@dataclass
class Book:
    """Records of the caller's (``my_*``) and of another success manager's (``their_*``)."""

    api: Api
    my_account: object
    my_other_account: object
    their_account: object
    mine: object
    my_other: object
    theirs: object
    my_contact: object
    their_contact: object
    my_order: object
    their_order: object
    my_interaction: object
    their_interaction: object
    my_referral: object
    my_other_referral: object
    their_referral: object
    their_task: object
    their_subscription: object
    their_survey: object


@pytest.fixture
def book(client) -> Book:
    api = Api(client, Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    my_account = make_account(name="My Account", owner=api.user)
    my_other_account = make_account(name="My Other Account", owner=api.user)
    their_account = make_account(name="Their Account", owner=other)
    mine = make_customer(external_id="MINE", owner=api.user, account=my_account)
    my_other = make_customer(external_id="MINE-2", owner=api.user)
    theirs = make_customer(external_id="THEIRS", owner=other, account=their_account)
    subscriptions, surveys = {}, {}
    for customer, prefix in ((mine, "MY"), (theirs, "THEIR")):
        subscriptions[prefix] = Subscription.objects.create(
            external_id=f"{prefix}-SUB", customer=customer, plan="P", amount=Decimal("9.00"),
            currency="USD", interval="month", started_at=T0,
        )  # fmt: skip
        surveys[prefix] = survey_response_create(
            customer_id=customer.pk, kind="nps", score=9, answered_at=T0,
            external_id=f"{prefix}-SURVEY",
        )  # fmt: skip
    their_referral = referral_create(referrer_id=theirs.pk, referred_at=T0, external_id="THEIR-REF")
    return Book(
        api=api,
        my_account=my_account,
        my_other_account=my_other_account,
        their_account=their_account,
        mine=mine,
        my_other=my_other,
        theirs=theirs,
        my_contact=Contact.objects.create(account=my_account, first_name="Mine"),
        their_contact=Contact.objects.create(account=their_account, first_name="Theirs"),
        my_order=make_order(customer=mine, external_id="MY-ORDER"),
        their_order=make_order(customer=theirs, external_id="THEIR-ORDER"),
        my_interaction=interaction_log(
            author=None, customer=mine, kind="call", occurred_at=T0, subject="Mine"
        ),
        their_interaction=interaction_log(
            author=None, customer=theirs, kind="call", occurred_at=T0, subject="Theirs"
        ),
        my_referral=referral_create(referrer_id=mine.pk, referred_at=T0, external_id="MY-REF"),
        my_other_referral=referral_create(referrer_id=my_other.pk, referred_at=T0),
        their_referral=their_referral,
        their_task=task_create(
            by=None, title="Theirs", owner=other, due=date(2025, 2, 1), customer_id=theirs.pk
        ),
        their_subscription=subscriptions["THEIR"],
        their_survey=surveys["THEIR"],
    )


def _answer(response, *ids: int) -> tuple[int, str]:
    """Status and body, with the ids the caller sent put back to a placeholder."""
    text = response.content.decode()
    for pk in ids:
        text = re.sub(rf"\b{pk}\b", "<id>", text)
    return response.status_code, text


def _order(customer_id: int, external_id: str = "NEW-ORDER") -> dict:
    return {
        "external_id": external_id,
        "customer_id": customer_id,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
    }


# --- a unique value in use: the same words whoever holds it ----------------------------------


def _taken_cases(b: Book) -> list[tuple[str, str, object, str, str, str]]:
    """(method, path, body for a value, field, the caller's own value, someone else's)."""
    subscription = {
        "customer_id": b.mine.pk, "plan": "P", "amount": "1.00", "currency": "USD",
        "interval": "month", "started_at": "2025-01-01T00:00:00Z",
    }  # fmt: skip
    survey = {
        "customer_id": b.mine.pk,
        "kind": "nps",
        "score": 7,
        "answered_at": "2025-01-02T00:00:00Z",
    }
    return [
        ("post", "/customers", lambda v: {"external_id": v}, "external_id", "MINE", "THEIRS"),
        ("patch", f"/customers/{b.my_other.pk}", lambda v: {"external_id": v}, "external_id",
         "MINE", "THEIRS"),
        ("post", "/accounts", lambda v: {"name": v}, "name", "My Account", "Their Account"),
        ("patch", f"/accounts/{b.my_other_account.pk}", lambda v: {"name": v}, "name",
         "My Account", "Their Account"),
        ("post", "/orders", lambda v: _order(b.mine.pk, v), "external_id", "MY-ORDER",
         "THEIR-ORDER"),
        ("post", "/subscriptions", lambda v: {**subscription, "external_id": v}, "external_id",
         "MY-SUB", "THEIR-SUB"),
        ("post", "/survey-responses", lambda v: {**survey, "external_id": v}, "external_id",
         "MY-SURVEY", "THEIR-SURVEY"),
        ("post", "/referrals",
         lambda v: {"referrer_id": b.mine.pk, "referred_at": "2025-01-02T00:00:00Z",
                    "external_id": v},
         "external_id", "MY-REF", "THEIR-REF"),
        ("patch", f"/referrals/{b.my_other_referral.pk}", lambda v: {"external_id": v},
         "external_id", "MY-REF", "THEIR-REF"),
    ]  # fmt: skip


def test_a_taken_value_is_answered_alike_inside_and_outside_the_scope(book):
    b = book
    for method, path, body, field, my_value, their_value in _taken_cases(b):
        send = getattr(b.api, method)
        inside, outside = send(path, body(my_value)), send(path, body(their_value))
        expected = {
            "error": {"code": "validation_error", "message": "invalid input",
                      "fields": {field: [TAKEN]}}
        }  # fmt: skip
        assert inside.json() == expected, (method, path, inside.content)
        assert _answer(outside) == _answer(inside), (method, path)
    # Nothing was stored or changed by the refusals.
    assert Order.objects.filter(external_id="THEIR-ORDER").get().customer_id == b.theirs.pk
    b.my_other.refresh_from_db()
    assert b.my_other.external_id == "MINE-2"


# --- a reference to another's record reads as a reference to no record -----------------------


def _reference_cases(b: Book) -> list[tuple[str, str, object, int]]:
    """(method, path, body naming an id, the other's record's id)."""
    at = "2025-01-02T00:00:00Z"
    survey = {"customer_id": b.mine.pk, "kind": "csat", "score": 4, "answered_at": at}
    interaction = {"kind": "note", "occurred_at": at, "subject": "s"}
    return [
        ("post", "/orders", lambda i: _order(i), b.theirs.pk),
        ("post", "/subscriptions",
         lambda i: {"customer_id": i, "plan": "P", "amount": "1.00", "currency": "USD",
                    "interval": "month", "started_at": at}, b.theirs.pk),
        ("post", "/contacts", lambda i: {"account_id": i, "first_name": "X"}, b.their_account.pk),
        ("post", "/customers", lambda i: {"external_id": "NEW-C", "account_id": i},
         b.their_account.pk),
        ("patch", f"/customers/{b.mine.pk}", lambda i: {"account_id": i}, b.their_account.pk),
        ("post", "/interactions", lambda i: {**interaction, "customer_id": i}, b.theirs.pk),
        ("post", "/interactions", lambda i: {**interaction, "account_id": i}, b.their_account.pk),
        ("post", "/interactions",
         lambda i: {**interaction, "customer_id": b.mine.pk, "contact_id": i},
         b.their_contact.pk),
        ("post", "/survey-responses", lambda i: {**survey, "customer_id": i}, b.theirs.pk),
        ("post", "/survey-responses", lambda i: {**survey, "order_id": i}, b.their_order.pk),
        ("post", "/survey-responses", lambda i: {**survey, "interaction_id": i},
         b.their_interaction.pk),
        ("post", "/referrals", lambda i: {"referrer_id": i, "referred_at": at}, b.theirs.pk),
        ("post", "/referrals",
         lambda i: {"referrer_id": b.mine.pk, "referred_customer_id": i, "referred_at": at},
         b.theirs.pk),
        ("patch", f"/referrals/{b.my_referral.pk}", lambda i: {"referred_customer_id": i},
         b.theirs.pk),
        ("post", "/tasks", lambda i: {"title": "t", "due": "2025-02-01", "customer_id": i},
         b.theirs.pk),
        ("post", "/tasks", lambda i: {"title": "t", "due": "2025-02-01", "account_id": i},
         b.their_account.pk),
    ]  # fmt: skip


def test_naming_another_s_record_reads_as_naming_no_record(book):
    b = book
    for method, path, body, their_id in _reference_cases(b):
        send = getattr(b.api, method)
        theirs, nothing = send(path, body(their_id)), send(path, body(MISSING))
        assert theirs.status_code == 422, (method, path, theirs.content)
        assert _answer(theirs, their_id) == _answer(nothing, MISSING), (method, path)
    b.mine.refresh_from_db()
    assert b.mine.account_id == b.my_account.pk
    b.my_referral.refresh_from_db()
    assert b.my_referral.referred_customer_id is None


def test_a_contact_that_does_not_exist_is_refused_not_dropped(book):
    """It used to be logged without its contact (and another account's contact was refused
    as "belongs to another account", telling that it exists)."""
    b = book
    body = {"kind": "note", "occurred_at": "2025-01-02T00:00:00Z", "subject": "s"}
    answer = b.api.post("/interactions", {**body, "customer_id": b.mine.pk, "contact_id": MISSING})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"contact_id": [f"no contact with id {MISSING}"]}
    fine = b.api.post(
        "/interactions", {**body, "customer_id": b.mine.pk, "contact_id": b.my_contact.pk}
    )
    assert fine.status_code == 201, fine.content
    assert fine.json()["contact_id"] == b.my_contact.pk


# --- another's record by its id: the 404 of no record ----------------------------------------


def _record_cases(b: Book) -> list[tuple[str, str, object, int]]:
    """(method, path with {id}, body or None, the other's record's id)."""
    return [
        ("get", "/customers/{id}", None, b.theirs.pk),
        ("get", "/customers/{id}/history", None, b.theirs.pk),
        ("get", "/customers/{id}/timeline", None, b.theirs.pk),
        ("get", "/customers/{id}/lifecycle", None, b.theirs.pk),
        ("patch", "/customers/{id}", {"first_name": "Mallory"}, b.theirs.pk),
        ("delete", "/customers/{id}", None, b.theirs.pk),
        ("post", "/customers/{id}/follow-up", {}, b.theirs.pk),
        ("get", "/accounts/{id}", None, b.their_account.pk),
        ("get", "/accounts/{id}/history", None, b.their_account.pk),
        ("get", "/accounts/{id}/health", None, b.their_account.pk),
        ("patch", "/accounts/{id}", {"industry": "x"}, b.their_account.pk),
        ("get", "/contacts/{id}", None, b.their_contact.pk),
        ("get", "/contacts/{id}/history", None, b.their_contact.pk),
        ("patch", "/contacts/{id}", {"title": "x"}, b.their_contact.pk),
        ("delete", "/contacts/{id}", None, b.their_contact.pk),
        ("get", "/subscriptions/{id}", None, b.their_subscription.pk),
        ("get", "/subscriptions/{id}/history", None, b.their_subscription.pk),
        ("patch", "/subscriptions/{id}", {"plan": "x"}, b.their_subscription.pk),
        ("get", "/survey-responses/{id}", None, b.their_survey.pk),
        ("get", "/survey-responses/{id}/history", None, b.their_survey.pk),
        ("delete", "/survey-responses/{id}", None, b.their_survey.pk),
        ("get", "/orders/{id}", None, b.their_order.pk),
        ("get", "/orders/{id}/history", None, b.their_order.pk),
        ("patch", "/orders/{id}", {"amount": "0.01"}, b.their_order.pk),
        ("delete", "/orders/{id}", None, b.their_order.pk),
        ("get", "/interactions/{id}", None, b.their_interaction.pk),
        ("get", "/interactions/{id}/history", None, b.their_interaction.pk),
        ("patch", "/interactions/{id}", {"subject": "x"}, b.their_interaction.pk),
        ("get", "/referrals/{id}", None, b.their_referral.pk),
        ("get", "/referrals/{id}/history", None, b.their_referral.pk),
        ("patch", "/referrals/{id}", {"status": "purchased"}, b.their_referral.pk),
        ("delete", "/referrals/{id}", None, b.their_referral.pk),
        ("get", "/tasks/{id}", None, b.their_task.pk),
        ("patch", "/tasks/{id}", {"title": "x"}, b.their_task.pk),
        ("post", "/tasks/{id}/comments", {"body": "x"}, b.their_task.pk),
    ]


def test_another_s_record_by_its_id_is_the_404_of_no_record(book):
    b = book
    for method, path, body, their_id in _record_cases(b):
        send = getattr(b.api, method)
        args = () if body is None else (body,)
        theirs = send(path.format(id=their_id), *args)
        nothing = send(path.format(id=MISSING), *args)
        assert theirs.status_code == 404, (method, path, theirs.content)
        assert _answer(theirs, their_id) == _answer(nothing, MISSING), (method, path)
    b.their_order.refresh_from_db()
    assert b.their_order.amount == Decimal("50.00")
    kept = (b.theirs, b.their_contact, b.their_subscription, b.their_survey, b.their_referral)
    for record in kept:
        assert type(record).objects.filter(pk=record.pk).exists(), record


# --- list filters naming another's record: the empty list of no record -----------------------


def test_filters_by_another_s_ids_list_what_a_missing_id_lists(book):
    b = book
    cases = [
        ("/orders", "customer_id", b.theirs.pk),
        ("/subscriptions", "customer_id", b.theirs.pk),
        ("/contacts", "account_id", b.their_account.pk),
        ("/customers", "account_id", b.their_account.pk),
        ("/interactions", "customer_id", b.theirs.pk),
        ("/interactions", "account_id", b.their_account.pk),
        ("/survey-responses", "customer_id", b.theirs.pk),
        ("/referrals", "customer_id", b.theirs.pk),
        ("/referrals", "referrer_id", b.theirs.pk),
        ("/tasks", "customer_id", b.theirs.pk),
    ]
    for path, name, their_id in cases:
        theirs = b.api.get(path, **{name: their_id})
        nothing = b.api.get(path, **{name: MISSING})
        assert theirs.status_code == 200, (path, theirs.content)
        assert theirs.json() == {"items": [], "next_cursor": None}, (path, name)
        assert _answer(theirs) == _answer(nothing), (path, name)
    # Searching for another's external id or name finds nothing either.
    assert b.api.get("/customers", q="THEIRS").json()["items"] == []
    assert b.api.get("/accounts", q="Their").json()["items"] == []


# --- idempotency: an answer is replayed only to the caller it was made for -------------------


def _post(client, token: str, key: str, body: dict):
    return client.post(
        "/api/v1/customers",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def test_an_idempotency_key_replays_only_to_its_own_caller(client):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    record, token = api_token_create(user=owner)
    body = {"external_id": "IDEM-SECRET", "first_name": "Private", "phone": "+1 555 0100"}
    first = _post(client, token, "shared-key", body)
    assert first.status_code == 201
    assert _post(client, token, "shared-key", body)["Idempotent-Replayed"] == "true"

    # Someone else, with the same key and body: runs as their own request, never a replay.
    _, stranger = api_token_create(user=make_user(role=Role.SUCCESS_MANAGER))
    theirs = _post(client, stranger, "shared-key", body)
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["error"]["fields"] == {"external_id": [TAKEN]}
    assert "Private" not in theirs.content.decode()

    # The owner's second token is another caller for the keys, too.
    _, second = api_token_create(user=owner)
    assert "Idempotent-Replayed" not in _post(client, second, "shared-key", body)

    # A revoked token gets 401, not the answer stored for it.
    api_token_revoke(token=ApiToken.objects.get(pk=record.pk))
    revoked = _post(client, token, "shared-key", body)
    assert revoked.status_code == 401
    assert "Private" not in revoked.content.decode()
    # A token that never worked leaves nothing stored.
    nonsense = _post(client, "tnr_nonsense", "shared-key", body)
    assert nonsense.status_code == 401


# --- a unique value taken at the same moment: still the same words, never a 5xx --------------


@pytest.mark.django_db(transaction=True)
def test_a_value_taken_by_a_concurrent_writer_is_taken_in_the_same_words():
    """Another connection stores the external id after this create checked it and before it
    inserts (PostgreSQL: the insert waits on the unique index, then fails; SQLite: the create
    waits for the other writer, then finds it). Either way: ``TAKEN``, nothing stored twice."""
    import threading
    import time

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction

    from tenure.customers.models import Customer
    from tenure.customers.services import customer_create

    sm = make_user(role=Role.SUCCESS_MANAGER)
    stored, commit_now = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def other_writer() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():
                customer_create(external_id="AT-ONCE", first_name="First")
                stored.set()
                assert commit_now.wait(60)
        finally:
            stored.set()
            own.close()

    def this_writer() -> None:
        from django.db import connection as own

        try:
            customer_create(by=sm, external_id="AT-ONCE", first_name="Second")
        except ValidationError as error:
            outcome["error"] = error.message_dict
        except BaseException as error:
            outcome["error"] = repr(error)
        finally:
            own.close()

    other = threading.Thread(target=other_writer)
    other.start()
    assert stored.wait(60)
    this = threading.Thread(target=this_writer)
    this.start()
    if connection.vendor == "postgresql":
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
                pytest.fail("the create never waited for the other writer's row")
    else:
        time.sleep(0.5)  # the create waits for the other writer's lock on the database
    commit_now.set()
    other.join(60)
    this.join(60)
    assert outcome == {"error": {"external_id": [TAKEN]}}
    assert list(Customer.objects.filter(external_id="AT-ONCE").values_list("first_name")) == [
        ("First",)
    ]
