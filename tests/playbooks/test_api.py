"""/api/v1/playbooks: create, read, update, switch, enrolments and counts per step; every
role against every endpoint; hostile definitions are refused by field, never a 5xx."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Playbook
from tenure.playbooks.services import definition_of
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user
from tests.playbooks.conftest import make_playbook

pytestmark = pytest.mark.django_db

DEFINITION = {
    "name": "Win-back",
    "slug": "api-win-back",
    "trigger": {"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}},
    "steps": [{"kind": "wait", "days": 3}, {"kind": "task", "title": "Call {customer}"}],
}


def _put(api, path, body):
    return api.client.put(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


def test_create_read_update_switch_and_count(client):
    api = Api(client, role=Role.MANAGER)
    made = api.post("/playbooks", {"definition": DEFINITION})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["slug"], body["enabled"], body["priority"]) == ("api-win-back", False, 100)
    assert [step["kind"] for step in body["steps"]] == ["wait", "task"]
    playbook_id = body["id"]
    on = api.post(f"/playbooks/{playbook_id}/enable", {})
    assert on.status_code == 200 and on.json()["enabled"] is True
    playbook = Playbook.objects.get(pk=playbook_id)
    now = timezone.now()
    customers = [make_customer(owner=make_user()) for _ in range(3)]
    enrol(playbook, definition_of(playbook), [Candidate(c.pk, "x", now) for c in customers], now)
    enrollments_advance(now=now)
    read = api.get(f"/playbooks/{playbook_id}").json()
    assert read["steps"][0] == {"index": 0, "kind": "wait", "entered": 3, "done": 0,
                                "skipped": 0, "waiting": 3, "exited": 0}  # fmt: skip
    assert read["totals"]["active"] == 3
    listed = api.get(f"/playbooks/{playbook_id}/enrollments").json()["items"]
    assert {item["customer_id"] for item in listed} == {c.pk for c in customers}
    changed = _put(api, f"/playbooks/{playbook_id}", {"definition": {**DEFINITION, "priority": 7}})
    assert changed.status_code == 200 and changed.json()["priority"] == 7
    assert changed.json()["enabled"] is False  # the definition says so: a PUT replaces all
    off = api.post(f"/playbooks/{playbook_id}/disable", {})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert api.get("/playbooks/999999").status_code == 404


def test_a_refused_definition_names_each_field(client):
    api = Api(client, role=Role.ADMIN)
    bad = {**DEFINITION, "steps": [{"kind": "wait", "days": -1}, {"kind": "email"}]}
    response = api.post("/playbooks", {"definition": bad})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["steps[0].days"] == ["must be at least 0, got -1"]
    assert fields["steps[1].template"][0].startswith("missing")
    unknown_kind = {"type": "event", "kind": "segment.entred"}
    unknown = api.post(
        "/playbooks", {"definition": {**DEFINITION, "enabled": True, "trigger": unknown_kind}}
    )
    refusal = unknown.json()["error"]["fields"]["trigger.kind"]
    assert refusal[0].startswith('no app records "segment.entred" events')
    assert "segment.entered" in refusal[0]  # did you mean
    segment_trigger = {"type": "event", "kind": "segment.entered", "match": {"slug": "vip"}}
    stored = api.post(
        "/playbooks",
        {"definition": {**DEFINITION, "enabled": True, "trigger": segment_trigger}},
    )
    assert stored.status_code == 201 and stored.json()["enabled"] is True
    with_mail = api.post(
        "/playbooks",
        {
            "definition": {
                **DEFINITION,
                "slug": "with-mail",
                "enabled": True,
                "steps": [{"kind": "email", "template": "welcome"}],
            }
        },
    )
    assert with_mail.json()["error"]["fields"]["steps[0].template"] == [
        'no email template "welcome" (the Email > Templates page lists their slugs)'
    ]  # fmt: skip


ROLE_TABLE = [
    # (operation, method, path, expected status per role: admin, manager, analyst, success m.)
    ("list", "get", "/playbooks", (200, 200, 200, 200)),
    ("read", "get", "/playbooks/{id}", (200, 200, 200, 200)),
    ("enrollments", "get", "/playbooks/{id}/enrollments", (200, 200, 200, 200)),
    ("create", "post", "/playbooks", (201, 201, 403, 403)),
    ("update", "put", "/playbooks/{id}", (200, 200, 403, 403)),
    ("enable", "post", "/playbooks/{id}/enable", (200, 200, 403, 403)),
    ("disable", "post", "/playbooks/{id}/disable", (200, 200, 403, 403)),
]
ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]


@pytest.mark.parametrize(
    "row",
    [(op, method, path, role, want[i]) for op, method, path, want in ROLE_TABLE
     for i, role in enumerate(ROLES)],
    ids=lambda row: f"{row[0]}-{row[3]}-{row[4]}",
)  # fmt: skip
def test_roles_per_endpoint(client, row):
    operation, method, path, role, want = row
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    user = success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    api = Api(client, user=user)
    playbook = make_playbook(slug="roles", enabled=False)
    now = timezone.now()
    own, theirs = make_customer(owner=success_manager), make_customer(owner=other)
    enrol(playbook, definition_of(playbook), [Candidate(c.pk, "x", now) for c in (own, theirs)],
          now)  # fmt: skip
    url = path.replace("{id}", str(playbook.pk))
    body = {"definition": {**DEFINITION, "slug": "roles-new"}}
    if method == "get":
        response = api.get(url)
    elif method == "put":
        response = _put(api, url, body)
    else:
        response = api.post(url, body if operation == "create" else {})
    assert response.status_code == want, response.content
    if want == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        playbook.refresh_from_db()
        assert (playbook.slug, playbook.enabled) == ("roles", False)
        assert Playbook.objects.filter(slug="roles-new").count() == 0
    if operation == "enrollments":
        ids = {item["customer_id"] for item in response.json()["items"]}
        assert ids == ({own.pk} if role == Role.SUCCESS_MANAGER else {own.pk, theirs.pk})


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(["name", "slug", "trigger", "steps", "conditions", "reentry",
                         "priority", "enabled", "max_event_age_days", "no_promotion_days"]),
        JSONISH, max_size=6,
    )
)  # fmt: skip
def test_hostile_definitions_never_5xx(client, data):
    api = Api(client, role=Role.ADMIN)
    definition = {**DEFINITION, "slug": "hostile", **data}
    response = api.client.post(
        "/api/v1/playbooks", json.dumps({"definition": definition}),
        content_type="application/json", headers=api.headers,
    )  # fmt: skip
    assert response.status_code in (201, 422), response.content
    if response.status_code == 201:
        Playbook.objects.filter(pk=response.json()["id"]).delete()
    else:
        assert response.json()["error"]["fields"]
