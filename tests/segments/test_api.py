"""/api/v1/segments: every role against every operation, definitions refused by path (never a
5xx), the preview, the members and their CSV, and the customers lists' ``in_segment``."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import segment_create
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.api.test_roles_table import ROLES, expected
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

VIP = {"when": {"fact": "category", "op": "is", "value": "vip"}}


def _segment(owner, *, shared=False):
    make_customer(owner=owner, category="vip")
    return segment_create(by=owner, name=f"VIPs of {owner.pk}", definition=VIP, shared=shared)


def _body(name="New"):
    return {"name": name, "definition": VIP}


OPERATIONS = {
    # operation -> (as `expected` reads it, the request, the status on success)
    "list": ("list", lambda api, seg: api.get("/segments"), 200),
    "facts": ("list", lambda api, seg: api.get("/segments/facts"), 200),
    "preview": ("list", lambda api, seg: api.post("/segments/preview", {"definition": VIP}), 200),
    "create": ("create", lambda api, seg: api.post("/segments", _body()), 201),
    "read": ("read", lambda api, seg: api.get(f"/segments/{seg.pk}"), 200),
    "members": ("read", lambda api, seg: api.get(f"/segments/{seg.pk}/members"), 200),
    "members.csv": ("read", lambda api, seg: api.get(f"/segments/{seg.pk}/members.csv"), 200),
    "update": ("update", lambda api, seg: api.patch(f"/segments/{seg.pk}", {"name": "X"}), 200),
    "refresh": ("update", lambda api, seg: api.post(f"/segments/{seg.pk}/refresh", {}), 200),
    "delete": ("delete", lambda api, seg: api.delete(f"/segments/{seg.pk}"), 204),
}
PER_RECORD = {"read", "members", "members.csv", "update", "refresh", "delete"}
TABLE = [
    (role, name, whose)
    for role in ROLES
    for name in OPERATIONS
    for whose in (("own", "other") if name in PER_RECORD else ("own",))
]


@pytest.mark.parametrize(("role", "name", "whose"), TABLE, ids=["-".join(r) for r in TABLE])
def test_role_table(client, role, name, whose):
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    user = success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    api = Api(client, user=user)
    own = _segment(success_manager)
    theirs = _segment(make_user(role=Role.SUCCESS_MANAGER))  # private: not shared
    operation, request, done = OPERATIONS[name]

    response = request(api, own if whose == "own" else theirs)

    status = expected(role, operation, whose)
    assert response.status_code == (done if status < 400 else status), response.content
    if status >= 400:
        assert Segment.objects.filter(pk=theirs.pk if whose == "other" else own.pk).exists()
    if name == "list":
        ids = {item["id"] for item in response.json()["items"]}
        assert own.pk in ids and (theirs.pk in ids) == (role != Role.SUCCESS_MANAGER)


def test_a_shared_segment_is_read_by_the_team_and_changed_by_its_owner(client):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    shared = _segment(owner, shared=True)
    colleague = Api(client, user=make_user(role=Role.SUCCESS_MANAGER))

    assert colleague.get(f"/segments/{shared.pk}").status_code == 200
    assert colleague.patch(f"/segments/{shared.pk}", {"name": "Mine"}).status_code == 404
    # The colleague sees the members of their own book only: the owner's VIP is not theirs.
    assert colleague.get(f"/segments/{shared.pk}/members").json()["items"] == []


def test_a_refused_definition_names_each_problem_by_its_path(client):
    api = Api(client)
    body = {
        "name": "Bad",
        "definition": {
            "when": {
                "all": [
                    {"fact": "order_count", "op": ">=", "value": 1},
                    {"fact": "health_band", "op": ">=", "value": 2},
                ]
            }
        },
    }
    response = api.post("/segments", body)

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["definition.when.all[0].fact"] == [
        'unknown fact "order_count" (did you mean "orders_count"?)'
    ]
    assert "definition.when.all[1].op" in fields
    assert not Segment.objects.exists()


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["when", "all", "any", "not", "fact", "op", "value", "condition"])
            | st.text(max_size=10),
            inner,
            max_size=4,
        )
    ),
    max_leaves=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(definition=_values)
def test_any_definition_is_saved_or_refused_never_a_server_error(client, definition):
    api = Api(client, role=Role.ADMIN)
    for path, body in (
        ("/segments/preview", {"definition": definition}),
        ("/segments", {"name": "P", "definition": definition}),
    ):
        response = api.post(path, body)
        assert response.status_code in (200, 201, 422), response.content
        if response.status_code == 422:
            assert response.json()["error"]["fields"]


def test_the_facts_list_names_the_new_facts_with_their_kinds(client):
    facts = {f["name"]: f for f in Api(client).get("/segments/facts").json()}
    assert facts["health_band"]["kind"] == "category"
    assert facts["predicted_clv_365"]["kind"] == "number"
    assert facts["consent_newsletter"]["kind"] == "flag"
    assert facts["rfm_group"]["kind"] == "category"
    assert {"stage", "health_score", "orders_count", "latest_nps", "category"} <= set(facts)


def test_the_preview_counts_and_samples_without_storing(client):
    vips = [make_customer(category="vip") for _ in range(3)]
    make_customer(category="regular")
    response = Api(client).post("/segments/preview", {"definition": VIP, "sample": 2})

    assert response.status_code == 200
    preview = response.json()
    assert (preview["count"], preview["evaluated"]) == (3, 4)
    assert [c["id"] for c in preview["sample"]] == [vips[0].pk, vips[1].pk]
    assert not Segment.objects.exists() and not SegmentMembership.objects.exists()


def test_members_and_their_csv_with_formulas_neutralised(client):
    risky = make_customer(category="vip", first_name="=HYPERLINK(1)", external_id="+C1")
    make_customer(category="regular")
    api = Api(client)
    created = api.post("/segments", _body("VIPs"))
    assert created.status_code == 201
    segment_id = created.json()["id"]
    assert created.json()["members_count"] == 1

    members = api.get(f"/segments/{segment_id}/members").json()["items"]
    assert [m["id"] for m in members] == [risky.pk]
    response = api.get(f"/segments/{segment_id}/members.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="segment-vips-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["customer_id"], r["first_name"], r["category"]) for r in rows] == [
        ("'+C1", "'=HYPERLINK(1)", "vip")
    ]


def test_every_customers_list_filter_takes_in_segment(client):
    vip, regular = make_customer(category="vip"), make_customer(category="regular")
    owner = make_user(role=Role.SUCCESS_MANAGER)
    private = _segment(owner)  # private to its owner, holding one VIP of their own
    segment = segment_create(by=None, name="VIPs", definition=VIP)
    api = Api(client)

    listed = api.get("/customers", in_segment=segment.pk).json()["items"]
    assert {c["id"] for c in listed} == {
        vip.pk,
        *private.memberships.values_list("customer_id", flat=True),
    }
    assert regular.pk not in {c["id"] for c in listed}
    exported = api.get("/customers/export.csv", in_segment=segment.pk)
    assert len(b"".join(exported.streaming_content).decode().strip().splitlines()) == 3
    # A segment another may not see holds no one for them, as one that does not exist.
    stranger = Api(client, user=make_user(role=Role.SUCCESS_MANAGER))
    assert stranger.get("/customers", in_segment=private.pk).json()["items"] == []
    assert api.get("/customers", in_segment=999999).json()["items"] == []
