"""/api/v1/survey-responses and /api/v1/referrals: create, list with filters, retry safely, and
answer errors in the API's one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenure.feedback.models import Referral, SurveyResponse
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_user

from .helpers import answer, referral

pytestmark = pytest.mark.django_db
AT = "2025-03-01T10:00:00Z"


def test_an_answer_is_created_read_and_deleted(client):
    api = Api(client)
    customer = make_customer()
    created = api.post(
        "/survey-responses",
        {"customer_id": customer.pk, "kind": "nps", "score": 10, "answered_at": AT,
         "comment": "Best beans in town", "channel": "in-app"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["score"], body["channel"], body["order_id"]) == (
        "nps", 10, "in-app", None,
    )  # fmt: skip
    assert api.get(f"/survey-responses/{body['id']}").json() == body
    assert api.get(f"/survey-responses/{body['id']}/history").json()[0]["action"] == "create"
    assert api.delete(f"/survey-responses/{body['id']}").status_code == 204
    assert api.get(f"/survey-responses/{body['id']}").status_code == 404
    assert api.patch(f"/survey-responses/{body['id']}", {"score": 1}).status_code == 405


def test_answers_are_listed_by_customer_kind_date_and_latest(client):
    api = Api(client)
    ada, bob = make_customer(), make_customer()
    first = answer(ada, 3, at=T0)
    newest = answer(ada, 9, at=T0 + timedelta(days=10))
    csat = answer(ada, 4, kind="csat", at=T0 + timedelta(days=5))
    theirs = answer(bob, 6, at=T0 + timedelta(days=1))

    def ids(**params) -> set[int]:
        items, _ = api.walk("/survey-responses", limit=1, **params)
        return {item["id"] for item in items}

    assert ids() == {first.pk, newest.pk, csat.pk, theirs.pk}
    assert ids(customer_id=ada.pk) == {first.pk, newest.pk, csat.pk}
    assert ids(kind="nps", customer_id=ada.pk) == {first.pk, newest.pk}
    window = {"answered_after": "2025-01-02T00:00:00Z", "answered_before": "2025-01-11T00:00:00Z"}
    assert ids(**window) == {csat.pk, theirs.pk}
    assert ids(latest=True) == {newest.pk, csat.pk, theirs.pk}
    assert ids(latest=True, kind="nps", answered_before="2025-01-05T00:00:00Z") == {
        first.pk, theirs.pk,
    }  # fmt: skip
    refused = api.get("/survey-responses", kind="xyz")
    assert refused.status_code == 422 and "kind" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "csat", "score": 9}, "score"),
        ({"score": 11}, "score"),
        ({"answered_at": "2025-03-01T10:00:00"}, "answered_at"),
        ({"customer_id": 999_999}, "customer_id"),
        ({"kind": "ces", "score": 8}, "score"),
        ({"kind": "xyz"}, "kind"),
        ({"order_id": 999_999}, "order_id"),
    ],
)
def test_a_wrong_answer_is_a_422_naming_the_field(client, changes, field):
    api = Api(client)
    body = {"customer_id": make_customer().pk, "kind": "nps", "score": 7, "answered_at": AT}
    refused = api.post("/survey-responses", {**body, **changes})
    assert refused.status_code == 422, refused.content
    error = refused.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert not SurveyResponse.objects.exists()


def test_a_retried_post_records_one_answer(client):
    api = Api(client)
    body = {"customer_id": make_customer().pk, "kind": "csat", "score": 5, "answered_at": AT}
    first = api.post("/survey-responses", body, **{"Idempotency-Key": "answer-1"})
    again = api.post("/survey-responses", body, **{"Idempotency-Key": "answer-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    # Without a key, the survey tool's id refuses the duplicate.
    tagged = {**body, "external_id": "tf-77"}
    assert api.post("/survey-responses", tagged).status_code == 201
    duplicate = api.post("/survey-responses", tagged)
    assert duplicate.status_code == 422
    assert "external_id" in duplicate.json()["error"]["fields"]
    assert SurveyResponse.objects.count() == 2


def test_another_books_feedback_is_not_found(client):
    manager = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=manager)
    mine, theirs = make_customer(owner=manager), make_customer(owner=make_user())
    their_answer, their_referral = answer(theirs, 9), referral(theirs)
    for path in (f"/survey-responses/{their_answer.pk}", f"/referrals/{their_referral.pk}"):
        assert api.get(path).status_code == 404
        assert api.delete(path).status_code == 404
    assert api.patch(f"/referrals/{their_referral.pk}", {"status": "purchased"}).status_code == 404
    refused = api.post(
        "/survey-responses",
        {"customer_id": theirs.pk, "kind": "nps", "score": 9, "answered_at": AT},
    )
    assert refused.status_code == 422 and "customer_id" in refused.json()["error"]["fields"]
    assert api.get("/survey-responses").json()["items"] == []
    own = api.post(
        "/referrals", {"referrer_id": mine.pk, "referred_customer_id": theirs.pk, "referred_at": AT}
    )
    assert own.status_code == 422 and "referred_customer_id" in own.json()["error"]["fields"]
    analyst = Api(client, Role.ANALYST)
    assert analyst.get(f"/survey-responses/{their_answer.pk}").status_code == 200
    assert analyst.delete(f"/survey-responses/{their_answer.pk}").status_code == 403


def test_a_referral_is_created_moved_along_and_filtered(client):
    api = Api(client)
    referrer, friend = make_customer(), make_customer()
    created = api.post(
        "/referrals",
        {"referrer_id": referrer.pk, "referred_email": "friend@example.com", "referred_at": AT},
    )
    assert created.status_code == 201, created.content
    made = created.json()
    assert (made["status"], made["referred_customer_id"]) == ("invited", None)
    moved = api.patch(
        f"/referrals/{made['id']}", {"referred_customer_id": friend.pk, "status": "purchased"}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["status"], moved.json()["referred_customer_id"]) == (
        "purchased",
        friend.pk,
    )
    other = referral(make_customer(), at=T0)

    def ids(**params) -> set[int]:
        return {item["id"] for item in api.get("/referrals", **params).json()["items"]}

    assert ids() == {made["id"], other.pk}
    assert ids(customer_id=friend.pk) == ids(referrer_id=referrer.pk) == {made["id"]}
    assert ids(status="purchased") == {made["id"]}
    assert ids(referred_before="2025-02-01T00:00:00Z") == {other.pk}
    assert ids(referred_after="2025-02-01T00:00:00Z") == {made["id"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"referred_email": "not an email"}, "referred_email"),
        ({"referred_customer_id": "self"}, "referred_customer_id"),
        ({"status": "converted"}, "status"),
        ({"referrer_id": None}, "referrer_id"),
    ],
)
def test_a_wrong_referral_is_a_422_naming_the_field(client, body, field):
    api = Api(client)
    referrer = make_customer()
    if body.get("referred_customer_id") == "self":
        body = {"referred_customer_id": referrer.pk}
    refused = api.post("/referrals", {"referrer_id": referrer.pk, "referred_at": AT, **body})
    assert refused.status_code == 422, refused.content
    assert field in refused.json()["error"]["fields"]
    assert not Referral.objects.exists()


def test_the_timeline_lists_answers_and_referrals(client):
    api = Api(client)
    ada, friend = make_customer(), make_customer()
    answer(ada, 9, at=T0 + timedelta(days=2))
    referral(ada, at=T0 + timedelta(days=1), referred_customer=friend, status="signed_up")
    items = api.get(f"/customers/{ada.pk}/timeline").json()["items"]
    assert [(i["kind"], i["summary"], i["status"]) for i in items] == [
        ("survey", "NPS 9", "promoter"),
        ("referral", "Referred someone", "signed_up"),
    ]
    received = api.get(f"/customers/{friend.pk}/timeline").json()["items"]
    assert [(i["kind"], i["summary"]) for i in received] == [
        ("referral", "Came through a referral")
    ]


def test_a_referral_is_changed_only_by_its_referrers_book(client):
    """The book of the customer referred sees the referral but may not rewrite or delete it."""
    manager = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=manager)
    mine, theirs = make_customer(owner=manager), make_customer(owner=make_user())
    made_for_mine = referral(theirs, referred_customer=mine, status="signed_up")
    path = f"/referrals/{made_for_mine.pk}"
    assert api.get(path).status_code == 200
    assert api.patch(path, {"status": "purchased"}).status_code == 404
    assert api.delete(path).status_code == 404
    made_for_mine.refresh_from_db()
    assert made_for_mine.status == "signed_up"
    made_by_mine = referral(mine, referred_customer=theirs, status="signed_up")
    assert api.patch(f"/referrals/{made_by_mine.pk}", {"status": "purchased"}).status_code == 200
