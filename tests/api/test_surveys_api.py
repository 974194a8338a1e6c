"""/api/v1/surveys: every role against every operation (every role reads, admins and managers
change and send; a success manager's figures are their book's), sending with an
Idempotency-Key, to a segment and to recipients about a contact and an order, refusals by
field (422), deleting a sent survey (409), results and trends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tenure.customers.models import Contact
from tenure.feedback.models import Survey, SurveyInvitation, SurveyQuestion
from tenure.feedback.questions import survey_question_add, survey_translation_save
from tenure.mail.models import Message
from tenure.segments.services import segment_create, segment_members_add
from tenure.surveys.answering import survey_answer
from tenure.surveys.sending import survey_send
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_order, make_user
from tests.feedback.survey_helpers import consenting, make_survey, token_of

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]


def _put(api: Api, path: str, body: dict) -> Any:
    return api.client.put(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


@dataclass(frozen=True)
class Operation:
    method: str
    path: Callable[[Survey], str]
    body: Callable[[Survey], dict] | None = None
    changes: bool = False  # admins and managers only
    done: int = 200


def _with_question(survey: Survey) -> str:
    question = survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Else?")
    return f"/surveys/{survey.pk}/questions/{question.pk}"


def _with_translation(survey: Survey) -> str:
    survey_translation_save(by=None, survey_id=survey.pk, language="de",
                            texts={"question": "Empfehlen?"})  # fmt: skip
    return f"/surveys/{survey.pk}/translations/de"


OPERATIONS = {
    "list": Operation("get", lambda s: "/surveys"),
    "trends": Operation("get", lambda s: "/surveys/trends?kind=nps&by=account&period=month"),
    "create": Operation("post", lambda s: "/surveys",
                        lambda s: {"name": "New", "kind": "csat", "question": "Happy?"},
                        changes=True, done=201),
    "read": Operation("get", lambda s: f"/surveys/{s.pk}"),
    "update": Operation("patch", lambda s: f"/surveys/{s.pk}", lambda s: {"active": False},
                        changes=True),
    "delete": Operation("delete", lambda s: f"/surveys/{s.pk}", changes=True, done=204),
    "question-add": Operation("post", lambda s: f"/surveys/{s.pk}/questions",
                              lambda s: {"kind": "text", "text": "Anything else?"},
                              changes=True, done=201),
    "question-delete": Operation("delete", _with_question, changes=True, done=204),
    "translation-put": Operation("put", lambda s: f"/surveys/{s.pk}/translations/fr",
                                 lambda s: {"question": "Recommander ?"}, changes=True),
    "translation-delete": Operation("delete", _with_translation, changes=True, done=204),
    "send": Operation("post", lambda s: f"/surveys/{s.pk}/send",
                      lambda s: {"customer_ids": [consenting().pk]}, changes=True),
    "sends": Operation("get", lambda s: f"/surveys/{s.pk}/sends"),
    "results": Operation("get", lambda s: f"/surveys/{s.pk}/results"),
}  # fmt: skip
TABLE = [(role, name) for role in ROLES for name in OPERATIONS]


@pytest.mark.parametrize(("role", "name"), TABLE, ids=[f"{r}-{n}" for r, n in TABLE])
def test_role_table(client, role, name):
    operation = OPERATIONS[name]
    survey = make_survey()
    path = operation.path(survey)
    api = Api(client, role=role)
    body = operation.body(survey) if operation.body else None
    if operation.method == "get":
        response = api.get(path)
    elif operation.method == "post":
        response = api.post(path, body)
    elif operation.method == "patch":
        response = api.patch(path, body)
    elif operation.method == "put":
        response = _put(api, path, body or {})
    else:
        response = api.delete(path)
    allowed = not operation.changes or role in (Role.ADMIN, Role.MANAGER)
    want = operation.done if allowed else 403
    assert response.status_code == want, response.content
    if not allowed:
        assert response.json()["error"]["code"] == "permission_denied"
        assert Survey.objects.filter(pk=survey.pk, active=True).exists()  # nothing changed
        assert not Message.objects.exists()


def test_every_survey_operation_is_in_the_table():
    from tenure.api.main import api

    paths = {p for p in api.get_openapi_schema()["paths"] if p.startswith("/api/v1/surveys")}
    assert paths == {
        "/api/v1/surveys", "/api/v1/surveys/trends", "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/questions",
        "/api/v1/surveys/{survey_id}/questions/{question_id}",
        "/api/v1/surveys/{survey_id}/translations/{language}",
        "/api/v1/surveys/{survey_id}/send", "/api/v1/surveys/{survey_id}/sends",
        "/api/v1/surveys/{survey_id}/results",
    }  # fmt: skip


def test_make_read_change_and_refuse_by_field(client):
    api = Api(client, role=Role.MANAGER)
    fields = {"name": "After delivery", "kind": "nps", "question": "Recommend us?"}
    made = api.post("/surveys", {**fields, "review_url": "https://r.example/"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["valid_days"], body["review_url"]) == (
        "nps",
        30,
        "https://r.example/",
    )
    assert body["score"]["n"] == 0 and body["score"]["score"] is None
    assert body["response"] == {"invited": 0, "answered": 0, "rate": None}
    survey_id = body["id"]
    taken = api.post("/surveys", {"name": "After delivery", "kind": "nps", "question": "?"})
    assert taken.status_code == 422 and "name" in taken.json()["error"]["fields"]
    bad_link = api.patch(f"/surveys/{survey_id}", {"referral_url": "not a link"})
    assert bad_link.status_code == 422 and "referral_url" in bad_link.json()["error"]["fields"]
    flat = {"kind": "scale", "text": "Easy?", "scale_min": 1, "scale_max": 1}
    question = api.post(f"/surveys/{survey_id}/questions", flat)
    assert question.status_code == 422
    assert question.json()["error"]["fields"] == {"scale_max": ["must be above the lowest answer"]}
    scale = api.post(f"/surveys/{survey_id}/questions",
                     {"kind": "scale", "text": "Easy?", "scale_min": 1, "scale_max": 5,
                      "low_label": "Hard", "high_label": "Easy"})  # fmt: skip
    assert scale.status_code == 201 and scale.json()["field"] == "q1"
    partial = _put(api, f"/surveys/{survey_id}/translations/de", {"question": "Empfehlen?"})
    assert partial.status_code == 422
    assert set(partial.json()["error"]["fields"]) == {
        "questions.1.text", "questions.1.low_label", "questions.1.high_label",
    }  # fmt: skip
    whole = {"question": "Empfehlen?", "questions": {"1": {"text": "Einfach?",
             "low_label": "Schwer", "high_label": "Leicht"}}}  # fmt: skip
    saved = _put(api, f"/surveys/{survey_id}/translations/de", whole)
    assert saved.status_code == 200 and saved.json()["language"] == "de"
    read = api.get(f"/surveys/{survey_id}").json()
    assert [q["text"] for q in read["questions"]] == ["Easy?"]
    assert [t["language"] for t in read["translations"]] == ["de"]
    assert api.get("/surveys/999999").status_code == 404
    gone = api.delete(f"/surveys/{survey_id}/translations/xx")
    assert gone.status_code == 422 and "language" in gone.json()["error"]["fields"]


def test_a_send_retried_with_its_key_invites_once_and_a_sent_survey_is_not_deleted(client):
    api = Api(client, role=Role.MANAGER)
    survey = make_survey()
    customers = [consenting(), consenting(), consenting(email="")]
    body = {"customer_ids": [c.pk for c in customers]}
    first = api.post(f"/surveys/{survey.pk}/send", body, **{"Idempotency-Key": "send-1"})
    assert first.status_code == 200, first.content
    assert first.json()["invited"] == 2 and first.json()["skipped"] == {"no email address": 1}
    again = api.post(f"/surveys/{survey.pk}/send", body, **{"Idempotency-Key": "send-1"})
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    plain_retry = api.post(f"/surveys/{survey.pk}/send", body)  # no key: the day's key holds
    assert (plain_retry.json()["invited"], plain_retry.json()["already"]) == (0, 2)
    assert SurveyInvitation.objects.count() == 2 and Message.objects.count() == 2
    sends = api.get(f"/surveys/{survey.pk}/sends").json()
    assert [(s["response"]["invited"], s["skipped"]) for s in sends] == [(2, 1)]
    conflict = api.delete(f"/surveys/{survey.pk}")
    assert conflict.status_code == 409 and Survey.objects.filter(pk=survey.pk).exists()
    neither = api.post(f"/surveys/{survey.pk}/send", {})
    assert neither.status_code == 422 and "segment" in neither.json()["error"]["fields"]


def test_send_to_a_segment_and_to_recipients_about_a_contact_and_an_order(client):
    api = Api(client, role=Role.ADMIN)
    survey = make_survey()
    members = [consenting(), consenting()]
    segment = segment_create(by=None, name="Asked", kind="static")
    segment_members_add(by=None, segment_id=segment.pk, customer_ids=[m.pk for m in members],
                        now=timezone.now())  # fmt: skip
    to_segment = api.post(f"/surveys/{survey.pk}/send", {"segment": segment.slug})
    assert to_segment.json()["invited"] == 2
    account = make_account()
    person = consenting(account=account)
    contact = Contact.objects.create(account=account, first_name="Ada")
    order = make_order(customer=person)
    other = make_survey(name="About an order")
    sent = api.post(f"/surveys/{other.pk}/send", {
        "recipients": [{"customer_id": person.pk, "contact_id": contact.pk, "order_id": order.pk}],
        "language": "de",
    })  # fmt: skip
    assert sent.json()["invited"] == 1
    invitation = SurveyInvitation.objects.get(survey=other)
    assert (invitation.contact_id, invitation.order_id, invitation.language) == (
        contact.pk, order.pk, "de"
    )  # fmt: skip
    wrong = api.post(f"/surveys/{other.pk}/send", {
        "recipients": [{"customer_id": person.pk, "order_id": make_order().pk}],
    })  # fmt: skip
    assert wrong.status_code == 422 and "order_id" in wrong.json()["error"]["fields"]
    unknown = api.post(f"/surveys/{other.pk}/send", {"segment": "no-such-segment"})
    assert unknown.status_code == 422 and "segment" in unknown.json()["error"]["fields"]


def test_results_and_trends_are_counted_over_the_callers_book(client):
    survey = make_survey()
    question = survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="Plan?",
                                   options=["Basic", "Pro"])  # fmt: skip
    owner = make_user(role=Role.SUCCESS_MANAGER)
    now = timezone.now()
    for score, choice, who in ((10, "1", owner), (3, "0", None), (9, "1", None)):
        person = consenting(owner=who, account=make_account())
        survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=now)
        invitation = SurveyInvitation.objects.get(customer=person)
        survey_answer(token=token_of(invitation.pk), score=score, now=now,
                      answers={"q1": choice})  # fmt: skip
    manager = Api(client, role=Role.MANAGER)
    results = manager.get(f"/surveys/{survey.pk}/results").json()
    # NPS of 10, 3, 9: 2 promoters, 1 detractor of 3: 33.3.
    assert results["score"]["n"] == 3 and results["score"]["score"] == pytest.approx(100 / 3)
    assert results["score"]["counts"] == {"detractors": 1, "passives": 0, "promoters": 2}
    assert results["response"] == {"invited": 3, "answered": 3, "rate": 1.0}
    (plan,) = results["questions"]
    assert (plan["question_id"], plan["n"]) == (question.pk, 3)
    assert [(o["text"], o["count"]) for o in plan["options"]] == [("Basic", 1), ("Pro", 2)]
    theirs = Api(client, user=owner).get(f"/surveys/{survey.pk}/results").json()
    assert theirs["score"]["n"] == 1 and theirs["questions"][0]["n"] == 1
    trends = manager.get("/surveys/trends", kind="nps", by="account", period="month").json()
    assert trends["total"] == 3 and len(trends["groups"]) == 3
    assert Api(client, user=owner).get("/surveys/trends").json()["total"] == 1
    bad = manager.get("/surveys/trends", by="planet")
    assert bad.status_code == 422 and "by" in bad.json()["error"]["fields"]
    listed = manager.get("/surveys").json()["items"]
    assert [(s["id"], s["response"]["answered"]) for s in listed] == [(survey.pk, 3)]
    assert SurveyQuestion.objects.count() == 1
