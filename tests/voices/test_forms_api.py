"""/api/v1/feedback-forms: every role reads the forms, admins and managers make, change and take
them down; bad input is answered by field; a retried create with its Idempotency-Key makes one
form; the history says who changed what; a form taken down keeps its answers."""

from __future__ import annotations

import pytest
from django.test import Client

from tenure.users.models import Role
from tenure.voices.models import FeedbackForm, Voice
from tenure.voices.services import feedback_form_save, form_answer_record
from tests.api.helpers import Api
from tests.factories import T0

pytestmark = pytest.mark.django_db

BODY = {"slug": "after-support", "title": "After support", "rating_question": "How did we do?"}


def _form(**changes) -> FeedbackForm:
    return feedback_form_save(by=None, changes={"slug": "shop", "title": "Shop", **changes})


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        (Role.ADMIN, 200, (201, 200, 204)),
        (Role.MANAGER, 200, (201, 200, 204)),
        (Role.ANALYST, 200, (403, 403, 403)),
        (Role.SUCCESS_MANAGER, 200, (403, 403, 403)),
    ],
)
def test_every_role_reads_the_forms_and_only_admins_and_managers_change_them(
    client, role, reads, writes
):
    form = _form()
    api = Api(client, role=role)
    listed = api.get("/feedback-forms")
    assert listed.status_code == reads
    assert [item["slug"] for item in listed.json()["items"]] == ["shop"]
    one = api.get(f"/feedback-forms/{form.pk}")
    assert one.status_code == reads
    assert one.json()["page"] == "/f/shop/"
    created = api.post("/feedback-forms", BODY)
    changed = api.patch(f"/feedback-forms/{form.pk}", {"title": "Our shop"})
    deleted = api.delete(f"/feedback-forms/{form.pk}")
    assert (created.status_code, changed.status_code, deleted.status_code) == writes
    if writes[0] == 403:
        assert "admins and managers" in created.json()["error"]["message"]
        assert FeedbackForm.objects.get(pk=form.pk).title == "Shop"


def test_a_form_made_by_the_api_is_answered_on_its_public_page(client):
    api = Api(client, role=Role.MANAGER)
    made = api.post("/feedback-forms", {**BODY, "rating_scale": 10, "ask_email": False})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["rating_scale"] == 10
    assert body["question"] == "What would you like to tell us?"
    assert body["ask_email"] is False
    page = Client().get(body["page"])
    assert page.status_code == 200
    assert b"How did we do?" in page.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "slug": "no spaces"}, "slug"),
        ({**BODY, "rating_scale": 11}, "rating_scale"),
        ({**BODY, "title": ""}, "title"),
        ({**BODY, "title": "x" * 101}, "title"),
        ({**BODY, "intro": "nul \x00 here"}, "intro"),
        ({"title": "No slug"}, "slug"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(client, body, field):
    response = Api(client, role=Role.ADMIN).post("/feedback-forms", body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not FeedbackForm.objects.exists()


def test_a_taken_slug_is_named_and_the_first_form_is_kept(client):
    _form(slug="after-support", title="First")
    response = Api(client, role=Role.ADMIN).post("/feedback-forms", BODY)
    assert response.status_code == 422
    assert "slug" in response.json()["error"]["fields"]
    assert FeedbackForm.objects.get().title == "First"


def test_a_retried_create_makes_one_form(client):
    api = Api(client, role=Role.MANAGER)
    first = api.post("/feedback-forms", BODY, **{"Idempotency-Key": "form-1"})
    again = api.post("/feedback-forms", BODY, **{"Idempotency-Key": "form-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert FeedbackForm.objects.count() == 1


def test_a_patch_changes_what_it_names_and_null_leaves_the_rest(client):
    form = _form(rating_question="Stars?", rating_scale=5)
    api = Api(client, role=Role.MANAGER)
    response = api.patch(f"/feedback-forms/{form.pk}", {"active": False, "rating_scale": None})
    assert response.status_code == 200, response.content
    form.refresh_from_db()
    assert (form.active, form.rating_scale, form.rating_question) == (False, 5, "Stars?")
    assert Client().get("/f/shop/").status_code == 404
    history = api.get(f"/feedback-forms/{form.pk}/history").json()
    assert history[0]["changes"]["active"] == [True, False]


def test_the_list_filters_by_active(client):
    _form()
    _form(slug="old", title="Old", active=False)
    api = Api(client, role=Role.ANALYST)
    assert [f["slug"] for f in api.get("/feedback-forms", active="false").json()["items"]] == [
        "old"
    ]
    assert api.get("/feedback-forms", slug="x" * 61).status_code == 422


def test_a_form_taken_down_keeps_its_answers_as_voices(client):
    form = _form()
    form_answer_record(form=form, submission="s1", text="Fast", rating=None, email="", now=T0)
    response = Api(client, role=Role.ADMIN).delete(f"/feedback-forms/{form.pk}")
    assert response.status_code == 204
    voice = Voice.objects.get()
    assert (voice.source_name, voice.form_id, voice.text) == ("Shop", None, "Fast")
    assert Client().get("/f/shop/").status_code == 404
