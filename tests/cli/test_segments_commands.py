"""`tenure segments`: create, list, show, refresh and export members, as the operator or as a
user (who sees their segments and the shared ones, members among their customers)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.events.models import Event
from tenure.segments.models import SegmentMembership
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

VIP = '{"when": {"fact": "category", "op": "is", "value": "vip"}}'


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_create_list_show_refresh_and_members():
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    mine = make_customer(category="vip", owner=sam, first_name="=cmd")
    make_customer(category="vip")
    make_customer(category="regular")

    made = run("segments", "create", "--name", "VIPs", "--definition", VIP)
    assert made.exit_code == 0, made.stderr
    assert "VIPs (vips, id" in made.stdout and "2 members" in made.stdout
    assert Event.objects.filter(kind="segment.entered", via="cli").count() == 2

    listed = json.loads(run("segments", "list", "--json").stdout)
    assert [(s["slug"], s["members_count"]) for s in listed] == [("vips", 2)]
    shown = json.loads(run("segments", "show", "vips", "--json").stdout)
    assert shown["definition"]["when"]["value"] == "vip"

    csv_text = run("segments", "members", "vips", "--as", "sam").stdout.splitlines()
    assert len(csv_text) == 2 and "'=cmd" in csv_text[1]  # sam's one, neutralised
    assert str(mine.external_id) in csv_text[1]

    make_customer(category="vip")
    refreshed = json.loads(run("segments", "refresh", "--json").stdout)
    assert refreshed["refreshed"][0]["entered"] == 1
    assert SegmentMembership.objects.filter(left_at__isnull=True).count() == 3


def test_a_refused_definition_names_its_path_and_exits_1():
    done = run("segments", "create", "--name", "Bad", "--definition", '{"when": {"fact": "x"}}')
    assert done.exit_code == 1
    assert "definition: when.fact: unknown fact" in done.stderr
    assert run("segments", "show", "nope").exit_code == 2
