"""/api/v1/themes: every role x operation (a table, as the roles table does), what each
answers, and bad input as 422 naming the field."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tenure.jobs.models import Run
from tenure.themes.models import Theme, ThemeAssignment
from tenure.themes.tasks import THEMES_RUN
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user
from tests.themes.helpers import answer, make_theme

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]

# (operation, method, path, body); {own}: a theme holding an answer of the success manager's
# book, {other}: one holding only another book's.
OPERATIONS = [
    ("list", "get", "/themes", None),
    ("read", "get", "/themes/{id}", None),
    ("read", "get", "/themes/{id}/answers", None),
    ("curate", "post", "/themes/{id}/rename", {"label": "Renamed"}),
    ("curate", "post", "/themes/{id}/tags", {"add": ["ops"], "remove": []}),
    ("curate", "post", "/themes/{id}/hide", {"hidden": True}),
    ("curate", "post", "/themes/{id}/merge", {"into_id": "{into}"}),
    ("run", "post", "/themes/run", {}),
]
PATHS = {f"/api/v1{path.replace('{id}', '{theme_id}')}" for _, _, path, _ in OPERATIONS}


def expected(role: Role, operation: str, whose: str) -> int:
    curates = role in (Role.ADMIN, Role.MANAGER)
    if operation == "run":
        return 202 if curates else 403
    if operation == "curate":
        return 200 if curates else 403
    if role == Role.SUCCESS_MANAGER and whose == "other" and operation == "read":
        return 404
    return 200


TABLE = [
    (role, n, whose)
    for role in ROLES
    for n, (operation, *_rest) in enumerate(OPERATIONS)
    for whose in (("own", "other") if "{id}" in OPERATIONS[n][2] else ("own",))
]


@pytest.mark.parametrize(
    "row",
    TABLE,
    ids=[f"{r}-{OPERATIONS[n][1]}-{OPERATIONS[n][2]}-{w}" for r, n, w in TABLE],
)
def test_theme_role_table(client, row):
    role, n, whose = row
    operation, method, path, body = OPERATIONS[n]
    manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    now = timezone.now()
    own = make_theme("own theme", [answer(make_customer(owner=manager), "late", at=now)])
    theirs = make_theme("their theme", [answer(make_customer(owner=other), "late", at=now)])
    spare = make_theme("spare", [answer(make_customer(owner=manager), "x", at=now)])
    api = Api(client, user=manager if role == Role.SUCCESS_MANAGER else make_user(role=role))
    target = own if whose == "own" else theirs
    url = path.replace("{id}", str(target.pk))
    if body is not None and body.get("into_id") == "{into}":
        body = {"into_id": spare.pk}
    response = api.get(url) if method == "get" else api.post(url, body)
    want = expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert Theme.objects.get(pk=target.pk).label == target.label
        assert not Run.objects.filter(kind=THEMES_RUN).exists()
    if operation == "list":
        labels = {item["label"] for item in response.json()}
        assert "own theme" in labels
        assert ("their theme" in labels) == (role != Role.SUCCESS_MANAGER)


def test_every_theme_operation_is_in_the_table():
    from tenure.api.main import api

    documented = {path for path in api.get_openapi_schema()["paths"] if "/themes" in path}
    assert documented == PATHS


def test_a_theme_with_its_trend_nps_and_answers(client):
    api = Api(client, role=Role.ANALYST)
    now = timezone.now()
    customer = make_customer()
    late = make_theme("late", [
        answer(customer, "late <b>again</b>", score=10, at=now),
        answer(customer, "late", score=0, at=now),
    ])  # fmt: skip
    body = api.get(f"/themes/{late.pk}").json()
    assert body["answers"] == 2 and body["customers"] == 1 and len(body["trend"]) == 12
    assert body["trend"][-1]["count"] == 2 and body["trend"][-1]["share"] == 1.0
    assert body["nps"]["n"] == 2 and body["nps"]["score"] == 0.0  # 1 promoter, 1 detractor
    page = api.get(f"/themes/{late.pk}/answers", limit=1).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(f"/themes/{late.pk}/answers", cursor=page["next_cursor"]).json()
    texts = {page["items"][0]["text"], rest["items"][0]["text"]}
    assert texts == {"late <b>again</b>", "late"} and rest["next_cursor"] is None


def test_curating_through_the_api(client):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer()
    late = make_theme("late", [answer(customer, "late")])
    bill = make_theme("bill", [answer(customer, "bill")])
    renamed = api.post(f"/themes/{late.pk}/rename", {"label": "Late deliveries"}).json()
    assert renamed["label"] == "Late deliveries" and renamed["renamed_by_person"]
    tagged = api.post(f"/themes/{late.pk}/tags", {"add": ["ops", "Q3"]}).json()
    assert sorted(tagged["tags"]) == ["Q3", "ops"]
    untagged = api.post(f"/themes/{late.pk}/tags", {"remove": ["OPS"]}).json()
    assert untagged["tags"] == ["Q3"]
    survivor = api.post(f"/themes/{late.pk}/merge", {"into_id": bill.pk}).json()
    assert survivor["id"] == bill.pk and survivor["answers"] == 2 and survivor["tags"] == ["Q3"]
    assert ThemeAssignment.objects.filter(theme=bill).count() == 2
    assert api.get("/themes").json()[0]["id"] == bill.pk  # the merged one is not listed
    run = api.post("/themes/run", {}, **{"Idempotency-Key": "run-1"})
    again = api.post("/themes/run", {}, **{"Idempotency-Key": "run-1"})
    assert run.status_code == again.status_code == 202 and run.json() == again.json()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("rename", {"label": ""}, "label"),
        ("rename", {"label": "x" * 121}, "label"),
        ("rename", {"label": "a\u0000b"}, "label"),
        ("tags", {"add": ["t" * 61]}, "add[0]"),
        ("merge", {"into_id": 0}, "into_id"),
        ("merge", {"into_id": "{self}"}, "into_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, path, body, field):
    api = Api(client, role=Role.ADMIN)
    late = make_theme("late", [answer(make_customer(), "late")])
    if body.get("into_id") == "{self}":
        body = {"into_id": late.pk}
    response = api.post(f"/themes/{late.pk}/{path}", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert Theme.objects.get(pk=late.pk).label == "late"
