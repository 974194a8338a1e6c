"""/api/v1/ideas: every role against every operation (the generated table the roles table
points to), and the API's own behaviours: a request recorded twice is one, a merge answers
with the target, bad input is a 422 naming the field."""

from __future__ import annotations

import pytest

from tenure.ideas.models import Idea, IdeaRequest
from tenure.ideas.services import idea_create, idea_request_add
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_user

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]

# (name, method, path, body, who may): "all" every role; "change" every role but analysts
# (a success manager within their book: 404 for another's customer's request); "steer"
# admins and managers; "author" the idea's author or a role over all.
OPERATIONS = [
    ("list", "get", "/ideas", None, "all", 200),
    ("read", "get", "/ideas/{idea}", None, "all", 200),
    ("requests", "get", "/ideas/{idea}/requests", None, "all", 200),
    ("create", "post", "/ideas", {"title": "Offline mode"}, "change", 201),
    ("update", "patch", "/ideas/{idea}", {"description": "Works on a plane"}, "author", 200),
    ("ask-own", "post", "/ideas/{idea}/requests", "own", "change", 201),
    ("ask-other", "post", "/ideas/{idea}/requests", "other", "change-own", 201),
    ("remove-own", "delete", "/ideas/{idea}/requests/{own_request}", None, "change", 204),
    ("remove-other", "delete", "/ideas/{idea}/requests/{other_request}", None, "change-own", 204),
    ("status", "post", "/ideas/{idea}/status", {"status": "planned"}, "steer", 200),
    ("merge", "post", "/ideas/{idea}/merge", "merge", "steer", 200),
    ("delete", "delete", "/ideas/{idea}", None, "steer", 204),
]
PATHS = {
    "/ideas", "/ideas/{record_id}", "/ideas/{record_id}/requests",
    "/ideas/{record_id}/requests/{request_id}", "/ideas/{record_id}/status",
    "/ideas/{record_id}/merge",
}  # fmt: skip


def expected(role: Role, operation: tuple) -> int:
    _, _, _, _, who, done = operation
    if who == "all":
        return done
    if role == Role.ANALYST:
        return 403
    if who == "steer":
        return done if role in (Role.ADMIN, Role.MANAGER) else 403
    if who in ("author", "change-own") and role == Role.SUCCESS_MANAGER:
        return 404  # another's idea to edit, another's customer: as if it did not exist
    return done


TABLE = [(role, operation) for role in ROLES for operation in OPERATIONS]


@pytest.mark.parametrize("row", TABLE, ids=[f"{r}-{o[0]}-{expected(r, o)}" for r, o in TABLE])
def test_ideas_role_table(client, row):
    role, operation = row
    name, method, path, body, _, _ = operation
    sm, other = make_user(role=Role.SUCCESS_MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(client, user=sm if role == Role.SUCCESS_MANAGER else make_user(role=role))
    mine, theirs = make_customer(owner=sm), make_customer(owner=other)
    idea = idea_create(by=other, data={"title": "Dark mode"}, now=T0)  # another's idea
    target = idea_create(by=None, data={"title": "Night theme"}, now=T0)
    own_request, _ = idea_request_add(by=None, idea_id=idea.pk, customer_id=mine.pk, data={},
                                      now=T0)  # fmt: skip
    other_request, _ = idea_request_add(by=None, idea_id=idea.pk, customer_id=theirs.pk, data={},
                                        now=T0)  # fmt: skip
    if name.startswith("ask"):
        IdeaRequest.objects.all().delete()
    url = path.format(idea=idea.pk, own_request=own_request.pk, other_request=other_request.pk)
    named = {
        "own": {"customer_id": mine.pk, "note": "asked on a call"},
        "other": {"customer_id": theirs.pk},
        "merge": {"into_id": target.pk},
    }
    payload = named[body] if isinstance(body, str) else body
    send = getattr(caller, method)
    response = send(url, payload) if method in ("post", "patch") else send(url)
    want = expected(role, operation)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert Idea.objects.get(pk=idea.pk).status == "under_review"  # nothing was changed
        assert Idea.objects.get(pk=idea.pk).merged_into_id is None
    if name == "requests":
        ids = {item["customer_id"] for item in response.json()["items"]}
        assert ids == ({mine.pk} if role == Role.SUCCESS_MANAGER else {mine.pk, theirs.pk})
    if name == "read":
        assert response.json()["customers"] == (1 if role == Role.SUCCESS_MANAGER else 2)


def test_every_ideas_operation_is_in_the_table():
    from tenure.api.main import api

    documented = {path.removeprefix("/api/v1") for path in api.get_openapi_schema()["paths"]}
    assert {p for p in documented if p.startswith("/ideas")} == PATHS


def test_a_request_sent_twice_is_one_and_bad_input_names_its_field(client):
    api = Api(client, role=Role.MANAGER)
    idea = api.post("/ideas", {"title": "Dark mode"}).json()
    customer = make_customer()
    first = api.post(f"/ideas/{idea['id']}/requests", {"customer_id": customer.pk, "note": "x"})
    again = api.post(f"/ideas/{idea['id']}/requests", {"customer_id": customer.pk})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    got = api.get(f"/ideas/{idea['id']}").json()
    assert (got["customers"], got["revenue"], got["clv"]) == (1, "0.00", "0.00")
    refused = api.post(f"/ideas/{idea['id']}/status", {"status": "shipped"})
    assert refused.status_code == 422
    assert "status" in str(refused.json()["error"]["fields"])
    empty = api.post("/ideas", {"title": ""})
    assert empty.status_code == 422 and "title" in str(empty.json()["error"]["fields"])
    listed = api.get("/ideas", status="under_review", q="dark").json()["items"]
    assert [i["title"] for i in listed] == ["Dark mode"]
    bad_filter = api.get("/ideas", status="someday")
    assert bad_filter.status_code == 422
