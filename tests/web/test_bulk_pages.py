"""The customers list's bulk bar, its cells edited in place, Undo and the trash, through the
pages (Django's client, the real database: SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.customers import services as customers
from tenure.customers.models import Customer
from tenure.events.models import Event
from tenure.history.models import TrashItem
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.segments.models import Segment, SegmentKind, SegmentMembership
from tenure.segments.services import segment_create, segment_members_add
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def _cell(customer: Customer, name: str) -> str:
    return reverse("web:customer-cell", args=[customer.pk, name])


def test_a_cell_opens_saves_and_offers_undo(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    customer = make_customer(email="old@example.com")
    opened = client.get(_cell(customer, "email"), **HTMX).content.decode()
    assert 'value="old@example.com"' in opened and "data-cell-input" in opened
    refused = client.post(_cell(customer, "email"), {"email": "not an email"}, **HTMX)
    body = refused.content.decode()
    assert refused.status_code == 200 and "Enter a valid email address." in body
    assert 'aria-invalid="true"' in body
    assert Customer.objects.get(pk=customer.pk).email == "old@example.com"
    saved = client.post(_cell(customer, "email"), {"email": "new@example.com"}, **HTMX)
    body = saved.content.decode()
    assert "new@example.com" in body and 'id="undo-toast" hx-swap-oob="innerHTML"' in body
    change_set = ChangeSet.objects.get(author=manager)
    assert reverse("web:undo", args=[change_set.pk]) in body
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX).content.decode()
    assert "Undone" in undone and "old@example.com" in undone  # the cell, out of band
    assert Customer.objects.get(pk=customer.pk).email == "old@example.com"


def test_an_owner_cell_offers_the_team_and_refuses_an_unknown_one(client):
    admin = make_user(role=Role.ADMIN, first_name="Ann", last_name="Admin")
    client.force_login(admin)
    customer = make_customer()
    opened = client.get(_cell(customer, "owner"), **HTMX).content.decode()
    assert "Ann Admin" in opened
    refused = client.post(_cell(customer, "owner"), {"owner": "999999"}, **HTMX).content.decode()
    assert "Select a valid choice" in refused
    client.post(_cell(customer, "owner"), {"owner": str(admin.pk)}, **HTMX)
    assert Customer.objects.get(pk=customer.pk).owner_id == admin.pk


def test_an_analyst_is_refused_on_every_write_path(client):
    analyst = make_user(role=Role.ANALYST)
    admin = make_user(role=Role.ADMIN)
    customer = make_customer(category="keep")
    _, change_set = __import__("tenure.bulk.services", fromlist=["x"]).customer_cell_set(
        by=admin, customer_id=customer.pk, field="category", value="gold",
        now=customer.created_at,
    )  # fmt: skip
    item = customers.customer_delete(by=admin, customer_id=make_customer().pk)
    client.force_login(analyst)
    shown = client.get(_cell(customer, "category"), **HTMX).content.decode()
    assert "<input" not in shown and "gold" in shown  # the value, no input
    assert client.post(_cell(customer, "category"), {"category": "x"}).status_code == 403
    bulk = {"all": "1", "operation": "category", "value": "x"}
    assert client.post(reverse("web:customers-bulk"), bulk).status_code == 403
    assert client.post(reverse("web:undo", args=[change_set.pk])).status_code == 403
    assert client.post(reverse("web:trash-restore", args=[item.pk])).status_code == 403
    assert Customer.objects.get(pk=customer.pk).category == "gold"
    assert not Run.objects.filter(kind="bulk.customers").exists()


def test_a_bulk_change_with_forged_ids_touches_only_the_own_book(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    own = [make_customer(owner=sam) for _ in range(3)]
    theirs = make_customer(owner=sue, channel="keep")
    client.force_login(sam)
    ids = [str(c.pk) for c in own] + [str(theirs.pk)]
    data = {"ids": ids, "operation": "channel", "value": "referral", "query": ""}
    started = client.post(reverse("web:customers-bulk"), data, **HTMX)
    assert (
        started.status_code == 200
        and "Waiting for the background worker" in started.content.decode()
    )
    run = Run.objects.get(kind="bulk.customers")
    assert run_execute(run.pk)["status"] == "done"
    page = client.get(reverse("web:customers-bulk-run", args=[run.pk]), **HTMX).content.decode()
    assert 'data-testid="bulk-changed">3<' in page and 'data-testid="bulk-refused">1<' in page
    assert f"no customer with id {theirs.pk}" in page
    assert Customer.objects.get(pk=theirs.pk).channel == "keep"
    # Another's run is not found.
    client.force_login(sue)
    assert client.get(reverse("web:customers-bulk-run", args=[run.pk])).status_code == 404


def test_a_bulk_request_names_the_field_it_refuses(client):
    client.force_login(make_user(role=Role.MANAGER))
    response = client.post(reverse("web:customers-bulk"), {"operation": "category", "value": "x"})
    assert response.status_code == 422 and "ids" in response.content.decode()
    response = client.post(
        reverse("web:customers-bulk"), {"all": "1", "operation": "owner_id", "owner_id": "99999"}
    )
    assert (
        response.status_code == 422 and "no active user with id 99999" in response.content.decode()
    )
    response = client.post(
        reverse("web:customers-bulk"), {"all": "1", "operation": "category", "query": "owner_id=x"}
    )
    assert response.status_code == 422 and "owner_id" in response.content.decode()


def test_export_of_the_chosen_rows_is_those_rows_only(client):
    client.force_login(make_user(role=Role.ANALYST))  # an export is a read: analysts too
    chosen = [make_customer(), make_customer()]
    make_customer()
    query = {"ids": [str(c.pk) for c in chosen], "query": ""}
    response = client.get(reverse("web:customers-bulk-export"), query)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["customer_id"] for r in rows) == sorted(c.external_id for c in chosen)


def test_delete_offers_undo_and_the_trash_restores(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    customer = make_customer(owner=sam, first_name="Grace", last_name="Hopper")
    client.force_login(sam)
    client.post(reverse("web:customer-delete", args=[customer.pk]))
    listed = client.get(reverse("web:customers")).content.decode()
    assert "Grace Hopper deleted." in listed and "Undo" in listed
    assert "Grace Hopper" not in client.get(reverse("web:customers")).content.decode().replace(
        "Grace Hopper deleted.", ""
    )
    trash = client.get(reverse("web:trash")).content.decode()
    assert "Grace Hopper" in trash
    item = TrashItem.objects.get()
    # Another success manager neither sees it nor restores it.
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))
    assert "Grace Hopper" not in client.get(reverse("web:trash")).content.decode()
    assert client.post(reverse("web:trash-restore", args=[item.pk])).status_code == 404
    client.force_login(sam)
    restored = client.post(reverse("web:trash-restore", args=[item.pk]))
    assert restored["Location"] == reverse("web:customer", args=[customer.pk])
    assert Customer.objects.filter(pk=customer.pk, owner=sam).exists()


def test_the_edit_page_offers_undo_of_its_save(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    customer = make_customer(category="silver")
    form = {"external_id": customer.external_id, "category": "gold",
            "created_at": "2025-01-01T00:00:00", "email": customer.email,
            "first_name": customer.first_name, "last_name": customer.last_name}  # fmt: skip
    saved = client.post(reverse("web:customer-edit", args=[customer.pk]), form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    page = client.get(saved["Location"]).content.decode()
    change_set = ChangeSet.objects.get(author=manager)
    assert reverse("web:undo", args=[change_set.pk]) in page and "edited." in page
    client.post(reverse("web:undo", args=[change_set.pk]))
    assert Customer.objects.get(pk=customer.pk).category == "silver"


def test_an_admin_deletes_a_trash_item_for_good_and_no_one_else_may(client):
    customer = make_customer(first_name="Gone", last_name="Person")
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    client.post(reverse("web:customer-delete", args=[customer.pk]))
    item = TrashItem.objects.get()
    assert "Delete for good" not in client.get(reverse("web:trash")).content.decode()
    assert client.post(reverse("web:trash-erase", args=[item.pk])).status_code == 403

    client.force_login(make_user(role=Role.ADMIN))
    assert "Delete for good" in client.get(reverse("web:trash")).content.decode()
    erased = client.post(reverse("web:trash-erase", args=[item.pk]), follow=True)

    assert "Gone Person deleted for good." in erased.content.decode()
    assert not TrashItem.objects.exists()
    assert client.post(reverse("web:trash-erase", args=[item.pk])).status_code == 404


def _tag(client, segment, **scope) -> tuple[Run, str]:
    """Start a bulk "add to segment" from the bar, run it, and read its card."""
    data = {"operation": "segment", "segment_id": str(segment.pk), "query": "", **scope}
    started = client.post(reverse("web:customers-bulk"), data, **HTMX)
    assert started.status_code == 200
    run = Run.objects.filter(kind="bulk.customers").latest("pk")
    assert run_execute(run.pk)["status"] == "done"
    card = client.get(reverse("web:customers-bulk-run", args=[run.pk]), **HTMX).content.decode()
    return Run.objects.get(pk=run.pk), card


def _members(segment) -> set[int]:
    return set(
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "customer_id", flat=True
        )
    )


def test_bulk_tag_adds_the_chosen_customers_of_the_own_book_to_a_static_segment(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    chosen = [make_customer(owner=sam) for _ in range(3)]
    left_out = make_customer(owner=sam)  # Sam's, but not chosen
    theirs = make_customer(owner=sue)  # chosen by a forged id: not Sam's to change
    segment = segment_create(by=sam, name="Call this week", kind=SegmentKind.STATIC)
    segment_members_add(by=sam, segment_id=segment.pk, customer_ids=[chosen[0].pk])
    client.force_login(sam)
    run, card = _tag(client, segment, ids=[str(c.pk) for c in [*chosen, theirs]])
    assert _members(segment) == {c.pk for c in chosen}
    assert left_out.pk not in _members(segment) and theirs.pk not in _members(segment)
    # Two entered (each with its event), the one already in it unchanged, Sue's refused in
    # the words of an unknown id.
    assert run.result["changed"] == 2 and run.result["unchanged"] == 1
    assert run.result["refused"] == [
        {"id": theirs.pk, "reason": f"no customer with id {theirs.pk}"}
    ]
    entered = Event.objects.filter(kind="segment.entered", subject_id=segment.pk)
    assert set(entered.values_list("customer_id", flat=True)) == {c.pk for c in chosen}
    assert Segment.objects.get(pk=segment.pk).members_count == 3
    assert 'data-testid="bulk-changed">2<' in card and 'data-testid="bulk-unchanged">1<' in card
    assert 'data-testid="bulk-refused">1<' in card
    # Undo takes out exactly the two it put in; the one already in it stays.
    change_set = ChangeSet.objects.get(pk=run.result["change_set"])
    assert reverse("web:undo", args=[change_set.pk]) in card and ">Undo</button>" in card
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX)
    assert "Undone: 2 customers added to Call this week." in undone.content.decode()
    assert undone["HX-Trigger"] == "tenure-list-changed"
    assert _members(segment) == {chosen[0].pk}
    assert Segment.objects.get(pk=segment.pk).members_count == 1


def test_bulk_tag_of_every_match_follows_the_filter_and_the_book(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    gold = [make_customer(owner=sam, category="gold") for _ in range(2)]
    silver = make_customer(owner=sam, category="silver")
    theirs = make_customer(owner=sue, category="gold")  # matches, but outside Sam's book
    segment = segment_create(by=sam, name="Gold", kind=SegmentKind.STATIC)
    client.force_login(sam)
    run, card = _tag(client, segment, all="1", query="category=gold")
    assert _members(segment) == {c.pk for c in gold}
    assert silver.pk not in _members(segment) and theirs.pk not in _members(segment)
    assert run.result["changed"] == 2 and run.result["unchanged"] == 0
    assert run.result["refused"] == []  # another's customer is not even matched
    # A dynamic segment's members follow its definition: the whole run is refused, row by row.
    dynamic = segment_create(
        by=sam, name="Dyn", definition={"when": {"fact": "category", "op": "is", "value": "vip"}}
    )
    run, card = _tag(client, dynamic, all="1", query="category=gold")
    assert run.result["changed"] == 0 and len(run.result["refused"]) == 2
    assert "is dynamic" in card and _members(dynamic) == set()
