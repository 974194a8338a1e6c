"""The command palette's results (``/search/``): records of every kind the user may open,
actions and pages filtered by role, and hostile queries answered, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tenure.mail.models import Template
from tenure.segments.models import Segment, SegmentKind
from tenure.todos.models import Task
from tenure.web.palette import ACTIONS, PAGES, palette_find
from tests.factories import make_account, make_customer, make_order, make_user
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db


def _groups(user, q):
    found: dict[str, list[str]] = {}
    for hit in palette_find(user=user, q=q):
        found.setdefault(hit.group, []).append(hit.label)
    return found


def test_finds_records_of_every_kind_by_every_word():
    manager = make_user(username="mia")
    grace = make_customer(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    make_customer(first_name="Grace", last_name="Kelly")
    make_account(name="Hopper Logistics", industry="Freight")
    make_order(customer=grace, external_id="HOPPER-7")
    Task.objects.create(title="Call Hopper about renewal", owner=manager, due=date(2026, 1, 5))
    Segment.objects.create(
        name="Hopper fans", slug="hopper-fans", kind=SegmentKind.STATIC, definition={}
    )
    Template.objects.create(name="Hopper welcome", subject="Hi", text="Hello")

    found = _groups(manager, "hopper")

    assert found["Customers"] == ["Grace Hopper"]  # Grace Kelly holds no "hopper"
    assert found["Accounts"] == ["Hopper Logistics"]
    assert found["Orders"] == ["Order HOPPER-7"]
    assert found["Tasks"] == ["Call Hopper about renewal"]
    assert found["Segments"] == ["Hopper fans"]
    assert found["Email templates"] == ["Hopper welcome"]
    assert _groups(manager, "grace hopper")["Customers"] == ["Grace Hopper"]
    assert "Customers" not in _groups(manager, "grace zebra")


def test_an_analyst_is_offered_no_action_that_changes_records():
    analyst = make_user(username="ann", role="analyst")
    manager = make_user(username="mia")

    analyst_actions = _groups(analyst, "")["Actions"]
    manager_actions = _groups(manager, "")["Actions"]

    assert "New customer" in manager_actions and "New playbook" in manager_actions
    assert analyst_actions == ["Export customers (CSV)"]
    assert "New customer" not in _groups(analyst, "new customer").get("Actions", [])
    # Pages: the Team page is an admin's.
    assert "Team" not in _groups(manager, "team").get("Pages", [])
    assert "Team" in _groups(make_user(username="ada", role="admin"), "team")["Pages"]


def test_a_success_manager_finds_only_their_book_and_no_playbook_action():
    sam = make_user(username="sam", role="success_manager")
    other = make_user(username="otto", role="success_manager")
    make_customer(first_name="Mine", last_name="Zed", owner=sam)
    theirs = make_customer(first_name="Theirs", last_name="Zed", owner=other)
    make_order(customer=theirs, external_id="ZED-1")
    Task.objects.create(title="Zed follow-up", owner=other, customer=theirs, due=date(2026, 1, 5))

    found = _groups(sam, "zed")

    assert found["Customers"] == ["Mine Zed"]
    assert "Orders" not in found and "Tasks" not in found
    assert "New playbook" not in _groups(sam, "")["Actions"]
    assert "New customer" in _groups(sam, "")["Actions"]


def test_every_catalogue_entry_resolves_and_every_shortcut_is_unique():
    keys = [entry.keys for entry in PAGES if entry.keys]
    assert len(keys) == len(set(keys))
    admin = make_user(username="root", role="admin")
    hits = palette_find(user=admin, q="")
    assert len(hits) == len(ACTIONS) + len(PAGES)
    assert all(hit.url.startswith("/") for hit in hits)


@pytest.mark.parametrize(
    "raw", ["%ED%A0%80", "%FF", "%25", "_", "%27+or+1%3D1+--", "x" * 5000, "%3Cb%3E", "+" * 50]
)
def test_hostile_queries_are_answered(raw):
    client = Client()
    client.force_login(make_user(username="mia"))
    make_customer(first_name="<b>bold</b>")

    page = client.get("/search/", QUERY_STRING=f"q={raw}")
    fragment = client.get("/search/", QUERY_STRING=f"q={raw}", **htmx("palette-results"))

    assert page.status_code == 200 and fragment.status_code == 200
    assert b"<b>bold</b>" not in page.content and b"<b>bold</b>" not in fragment.content


def test_a_nul_is_refused_by_the_guard_before_any_read(client):
    client.force_login(make_user(username="mia"))
    assert client.get("/search/", QUERY_STRING="q=a%00b").status_code == 422


def test_the_fragment_lists_options_and_the_page_works_without_script(client):
    client.force_login(make_user(username="mia"))
    grace = make_customer(first_name="Grace", last_name="Hopper")

    fragment = client.get("/search/", {"q": "grace"}, **htmx("palette-results")).content.decode()
    page = client.get("/search/", {"q": "grace"}).content.decode()

    assert f'href="/customers/{grace.pk}/"' in fragment and 'role="option"' in fragment
    assert "<html" not in fragment
    assert f'href="/customers/{grace.pk}/"' in page and "Keyboard shortcuts" in page


def test_signed_out_is_sent_to_log_in(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302


def test_the_profile_surveys_and_trash_are_found_by_their_words():
    analyst = make_user(username="ann", role="analyst")
    assert "Your profile" in _groups(analyst, "email").get("Pages", [])
    assert "Surveys" in _groups(analyst, "nps").get("Pages", [])
    assert "Trash" in _groups(analyst, "restore").get("Pages", [])
