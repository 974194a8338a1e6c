"""Bulk changes, undo and the trash against the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from tenure.access import AccessDenied
from tenure.bulk.models import ChangeSet
from tenure.bulk.services import customer_cell_set, customers_bulk_apply
from tenure.bulk.undo import UndoRefused, changeset_undo, trash_restore, trash_visible
from tenure.customers import services as customers
from tenure.customers.models import Account, Consent, Customer, Subscription
from tenure.events.models import Event
from tenure.history.models import TrashItem
from tenure.history.trash import trash_purge
from tenure.jobs.chain import nightly_steps
from tests.factories import T0, make_account, make_customer, make_user

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=400)


def _sm_and_other():
    mine = make_user(role="success_manager", username="sam")
    other = make_user(role="success_manager", username="sue")
    return mine, other


def test_bulk_scope_refuses_others_customers_even_named_by_id():
    sam, sue = _sm_and_other()
    own = [make_customer(owner=sam) for _ in range(3)]
    others = [make_customer(owner=sue, category="keep") for _ in range(2)]
    forged = [c.pk for c in own + others] + [999_999]
    result = customers_bulk_apply(
        by=sam, action="set", params={"field": "category", "value": "gold"},
        filters={}, ids=forged, now=NOW,
    )  # fmt: skip
    assert result["changed"] == 3
    refused = {row["id"]: row["reason"] for row in result["refused"]}
    # Another's customer is refused in the words of an unknown id: nothing about it leaks.
    assert refused == {c.pk: f"no customer with id {c.pk}" for c in others} | {
        999_999: "no customer with id 999999"
    }
    assert set(Customer.objects.filter(owner=sue).values_list("category", flat=True)) == {"keep"}
    assert set(Customer.objects.filter(owner=sam).values_list("category", flat=True)) == {"gold"}


def test_all_matching_a_filter_is_decided_again_at_run_time():
    admin = make_user(role="admin")
    gold = [make_customer(category="gold") for _ in range(4)]
    make_customer(category="silver")
    result = customers_bulk_apply(
        by=admin, action="set", params={"field": "owner_id", "value": str(admin.pk)},
        filters={"category": "gold"}, ids=None, now=NOW,
    )  # fmt: skip
    assert result["changed"] == 4 and result["unchanged"] == 0 and not result["refused"]
    assert {c.pk for c in Customer.objects.filter(owner=admin)} == {c.pk for c in gold}
    # Each customer has its own history entry and event, as a single edit leaves.
    entries = LogEntry.objects.get_for_objects(Customer.objects.filter(owner=admin))
    assert entries.filter(changes__has_key="owner").count() == 4
    events = Event.objects.filter(kind="customer.changed", customer_id__in=[c.pk for c in gold])
    assert events.count() == 4
    again = customers_bulk_apply(
        by=admin, action="set", params={"field": "owner_id", "value": str(admin.pk)},
        filters={"category": "gold"}, ids=None, now=NOW,
    )  # fmt: skip
    assert again["changed"] == 0 and again["unchanged"] == 4 and again["change_set"] is None


def test_a_bulk_field_outside_the_allow_list_is_refused_on_its_field():
    admin = make_user(role="admin")
    with pytest.raises(ValidationError) as refused:
        customers_bulk_apply(
            by=admin, action="set", params={"field": "email", "value": "x@y.z"},
            filters={}, ids=None, now=NOW,
        )  # fmt: skip
    assert "field" in refused.value.message_dict


def test_analyst_is_refused_on_every_write():
    analyst = make_user(role="analyst")
    customer = make_customer()
    admin = make_user(role="admin")
    _, change_set = customer_cell_set(
        by=admin, customer_id=customer.pk, field="category", value="x", now=NOW
    )
    item = customers.customer_delete(by=admin, customer_id=make_customer().pk)
    with pytest.raises(AccessDenied):
        customers_bulk_apply(by=analyst, action="delete", params={}, filters={}, ids=None, now=NOW)
    with pytest.raises(AccessDenied):
        customer_cell_set(by=analyst, customer_id=customer.pk, field="category", value="y", now=NOW)
    with pytest.raises(AccessDenied):
        changeset_undo(by=analyst, change_set_id=change_set.pk, now=NOW)
    with pytest.raises(AccessDenied):
        trash_restore(by=analyst, item_id=item.pk, now=NOW)
    assert Customer.objects.get(pk=customer.pk).category == "x"


def test_undo_puts_a_cell_back_through_the_service():
    sam, _ = _sm_and_other()
    customer = make_customer(owner=sam, email="old@example.com")
    _, change_set = customer_cell_set(
        by=sam, customer_id=customer.pk, field="email", value="new@example.com", now=NOW
    )
    changeset_undo(by=sam, change_set_id=change_set.pk, now=NOW)
    assert Customer.objects.get(pk=customer.pk).email == "old@example.com"
    # The undo is a change of its own in the history.
    changes = [e.changes_dict.get("email") for e in LogEntry.objects.filter(object_id=customer.pk)]
    assert ["new@example.com", "old@example.com"] in changes
    with pytest.raises(UndoRefused, match="undone already"):
        changeset_undo(by=sam, change_set_id=change_set.pk, now=NOW)


def test_undo_is_refused_after_a_later_change_naming_record_and_field():
    admin = make_user(role="admin")
    customer = make_customer(first_name="Grace", last_name="Hopper", channel="ads")
    _, change_set = customer_cell_set(
        by=admin, customer_id=customer.pk, field="channel", value="seo", now=NOW
    )
    customers.customer_update(by=admin, customer_id=customer.pk, changes={"channel": "email"})
    with pytest.raises(UndoRefused, match="Grace Hopper: channel was changed since"):
        changeset_undo(by=admin, change_set_id=change_set.pk, now=NOW)
    assert Customer.objects.get(pk=customer.pk).channel == "email"


def test_only_the_author_or_an_admin_undoes():
    sam, _ = _sm_and_other()
    manager = make_user(role="manager")
    customer = make_customer(owner=sam)
    _, change_set = customer_cell_set(
        by=sam, customer_id=customer.pk, field="phone", value="+1 555", now=NOW
    )
    with pytest.raises(UndoRefused, match="author or an admin"):
        changeset_undo(by=manager, change_set_id=change_set.pk, now=NOW)
    changeset_undo(by=make_user(role="admin"), change_set_id=change_set.pk, now=NOW)
    assert Customer.objects.get(pk=customer.pk).phone == ""


def test_delete_then_restore_brings_back_the_same_rows():
    admin = make_user(role="admin")
    account = make_account(name="Acme")
    customer = make_customer(account=account, external_id="C-RESTORE")
    customer.team.add(admin)
    subscription = Subscription.objects.create(
        customer=customer, plan="pro", amount="10.00", currency="USD", interval="month",
        started_at=T0,
    )  # fmt: skip
    Consent.objects.create(customer=customer, purpose="phone", granted=True, changed_at=T0)
    item = customers.customer_delete(by=admin, customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert Event.objects.filter(kind="customer.deleted", subject_id=customer.pk).exists()
    restored = trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert restored.pk == customer.pk
    back = Customer.objects.get(pk=customer.pk)
    assert (back.external_id, back.account_id) == ("C-RESTORE", account.pk)
    assert list(back.team.all()) == [admin]
    assert Subscription.objects.get(pk=subscription.pk).plan == "pro"
    assert back.consents.get().granted is True
    assert Event.objects.filter(kind="customer.restored", subject_id=customer.pk).exists()
    assert not TrashItem.objects.filter(pk=item.pk).exists()


def test_an_account_restored_gets_its_customers_back():
    admin = make_user(role="admin")
    account = make_account(name="Initech")
    customer = make_customer(account=account)
    item = customers.account_delete(by=admin, account_id=account.pk)
    assert Customer.objects.get(pk=customer.pk).account_id is None
    trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert Account.objects.get(pk=account.pk).name == "Initech"
    assert Customer.objects.get(pk=customer.pk).account_id == account.pk


def test_a_restore_whose_unique_value_was_taken_is_refused_on_its_field():
    admin = make_user(role="admin")
    item = customers.customer_delete(by=admin, customer_id=make_customer(external_id="X1").pk)
    make_customer(external_id="X1")
    with pytest.raises(ValidationError) as refused:
        trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert "external_id" in refused.value.message_dict
    assert TrashItem.objects.filter(pk=item.pk).exists()


def test_the_trash_shows_a_success_manager_only_what_they_deleted():
    sam, sue = _sm_and_other()
    mine = customers.customer_delete(by=sam, customer_id=make_customer(owner=sam).pk)
    theirs = customers.customer_delete(by=sue, customer_id=make_customer(owner=sue).pk)
    assert list(trash_visible(sam)) == [mine]
    assert set(trash_visible(make_user(role="manager"))) == {mine, theirs}
    with pytest.raises(Http404):
        trash_restore(by=sam, item_id=theirs.pk, now=NOW)


def test_bulk_delete_then_undo_restores_them():
    admin = make_user(role="admin")
    chosen = [make_customer(category="old") for _ in range(3)]
    result = customers_bulk_apply(
        by=admin, action="delete", params={}, filters={"category": "old"}, ids=None, now=NOW
    )
    assert result["changed"] == 3
    assert not Customer.objects.filter(category="old").exists()
    changeset_undo(by=admin, change_set_id=result["change_set"], now=NOW)
    assert {c.pk for c in Customer.objects.filter(category="old")} == {c.pk for c in chosen}
    assert ChangeSet.objects.get(pk=result["change_set"]).undone_at == NOW


def test_purge_removes_what_is_older_than_30_days_by_a_fixed_clock():
    admin = make_user(role="admin")
    old = customers.customer_delete(by=admin, customer_id=make_customer().pk)
    recent = customers.customer_delete(by=admin, customer_id=make_customer().pk)
    TrashItem.objects.filter(pk=old.pk).update(deleted_at=NOW - timedelta(days=30, seconds=1))
    TrashItem.objects.filter(pk=recent.pk).update(deleted_at=NOW - timedelta(days=29))
    assert trash_purge(now=NOW) == 1
    assert list(TrashItem.objects.values_list("pk", flat=True)) == [recent.pk]
    assert "bulk.trash_purge" in nightly_steps()


def test_an_id_beyond_the_database_is_refused_on_its_field():
    admin = make_user(role="admin")
    for params, name in (
        ({"field": "owner_id", "value": "9" * 30}, "value"),
        ({"field": "account_id", "value": 2**63}, "value"),
    ):
        with pytest.raises(ValidationError) as refused:
            customers_bulk_apply(
                by=admin, action="set", params=params, filters={}, ids=None, now=NOW
            )
        assert name in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        customers_bulk_apply(
            by=admin, action="segment", params={"segment_id": "9" * 25}, filters={}, ids=None,
            now=NOW,
        )  # fmt: skip
    assert "segment_id" in refused.value.message_dict
