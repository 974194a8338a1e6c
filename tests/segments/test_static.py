"""Static segments: members added and removed by hand, the API, the CLI or a playbook, never by
a refresh; a dynamic segment's members cannot be changed so; every role as on any change."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.core.exceptions import ValidationError

from tenure.cli.main import cli, register_commands
from tenure.events.models import Event
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import (
    segment_create,
    segment_members_add,
    segment_members_remove,
    segment_update,
    segments_refresh,
)
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.api.test_roles_table import ROLES, expected
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

VIP = {"when": {"fact": "category", "op": "is", "value": "vip"}}


def _open(segment) -> list[int]:
    stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return sorted(stays.values_list("customer_id", flat=True))


def test_members_added_and_removed_with_an_event_each_and_kept_by_the_refresh():
    static = segment_create(by=None, name="Hand-picked", kind="static")
    a, b, c = make_customer(), make_customer(), make_customer(category="vip")
    assert static.members_count == 0 and static.definition == {}
    done = segment_members_add(by=None, segment_id=static.pk, customer_ids=[a.pk, b.pk, a.pk])
    assert (done.entered, done.left, done.members) == (2, 0, 2)
    again = segment_members_add(by=None, segment_id=static.pk, customer_ids=[b.pk])
    assert (again.entered, again.members) == (0, 2)  # in it already: nothing twice
    segments_refresh()  # the nightly refresh evaluates definitions: a static segment has none
    assert _open(static) == [a.pk, b.pk]
    gone = segment_members_remove(by=None, segment_id=static.pk, customer_ids=[a.pk, c.pk])
    assert (gone.entered, gone.left, gone.members) == (0, 1, 1)
    assert _open(static) == [b.pk]
    kinds = Event.objects.filter(subject="segment", subject_id=static.pk).order_by("id")
    assert [(e.kind, e.customer_id) for e in kinds] == [
        ("segment.entered", a.pk), ("segment.entered", b.pk), ("segment.left", a.pk),
    ]  # fmt: skip
    static.refresh_from_db()
    assert static.members_count == 1


def test_what_is_refused_names_the_field():
    dynamic = segment_create(by=None, name="VIPs", definition=VIP)
    static = segment_create(by=None, name="Picked", kind="static")
    customer = make_customer()
    with pytest.raises(ValidationError) as refused:
        segment_members_add(by=None, segment_id=dynamic.pk, customer_ids=[customer.pk])
    assert refused.value.message_dict == {
        "segment": ["“VIPs” is dynamic: its members follow its definition"]
    }
    with pytest.raises(ValidationError) as refused:
        segment_members_add(by=None, segment_id=static.pk, customer_ids=[customer.pk, 999_999])
    assert refused.value.message_dict == {"customer_ids": ["no such customer: 999999"]}
    assert _open(static) == []  # nothing half-done
    with pytest.raises(ValidationError) as refused:
        segment_create(by=None, name="Both", kind="static", definition=VIP)
    assert list(refused.value.message_dict) == ["definition"]
    with pytest.raises(ValidationError) as refused:
        segment_update(by=None, segment_id=static.pk, changes={"definition": VIP})
    assert list(refused.value.message_dict) == ["definition"]
    assert not Segment.objects.filter(name="Both").exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_api_adds_and_removes_under_each_role(client, role):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    user = owner if role == Role.SUCCESS_MANAGER else make_user(role=role)
    static = segment_create(by=owner, name="Picked", kind="static")
    mine, theirs = make_customer(owner=owner), make_customer(owner=make_user())
    api = Api(client, user=user)

    added = api.post(f"/segments/{static.pk}/members", {"customer_ids": [mine.pk]})

    status = expected(role, "update", "own")
    assert added.status_code == (200 if status < 400 else status), added.content
    if status < 400:
        assert added.json() == {"entered": 1, "left": 0, "members": 1}
        other = api.post(f"/segments/{static.pk}/members", {"customer_ids": [theirs.pk]})
        if role == Role.SUCCESS_MANAGER:  # another's customer is not found
            assert other.status_code == 422
            assert other.json()["error"]["fields"]["customer_ids"] == [
                f"no such customer: {theirs.pk}"
            ]
        removed = api.post(f"/segments/{static.pk}/members/remove", {"customer_ids": [mine.pk]})
        assert removed.json()["left"] == 1
    else:
        assert _open(static) == []


def test_the_cli_makes_a_static_segment_and_fills_it():
    register_commands()
    customer = make_customer()
    runner = CliRunner()
    made = runner.invoke(cli, ["segments", "create", "--name", "Picked", "--static"])
    assert made.exit_code == 0, made.output
    added = runner.invoke(cli, ["segments", "add", "picked", str(customer.pk)])
    assert added.exit_code == 0, added.output
    assert "1 entered, 0 left, 1 members" in added.output
    refused = runner.invoke(cli, ["segments", "add", "picked", "999999"])
    assert refused.exit_code == 1 and "customer_ids: no such customer: 999999" in refused.output
    missing = runner.invoke(cli, ["segments", "create", "--name", "Nothing"])
    assert missing.exit_code == 2 and "--static" in missing.output
