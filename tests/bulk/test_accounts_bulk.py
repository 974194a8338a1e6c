"""Bulk changes and cells of accounts against the real database (SQLite and PostgreSQL): the
run decides its accounts again, refuses forged ids per row, logs what Undo puts back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.bulk.account_bulk import accounts_bulk_apply, accounts_bulk_start
from tenure.bulk.services import account_cell_set, customers_bulk_start
from tenure.bulk.undo import UndoRefused, changeset_undo
from tenure.customers import services as customers
from tenure.customers.models import Account
from tenure.history.models import TrashItem
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tests.factories import T0, make_account, make_user

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=400)


def test_forged_ids_outside_a_success_managers_book_are_refused_per_row():
    sam = make_user(role="success_manager", username="sam")
    sue = make_user(role="success_manager", username="sue")
    own = [make_account(owner=sam, industry="retail") for _ in range(2)]
    theirs = make_account(owner=sue, industry="keep")
    result = accounts_bulk_apply(
        by=sam, action="set", params={"field": "industry", "value": "food"}, filters={},
        ids=[a.pk for a in own] + [theirs.pk, 999_999], now=NOW,
    )  # fmt: skip
    assert result["changed"] == 2 and result["unchanged"] == 0
    assert result["refused"] == [
        {"id": theirs.pk, "reason": f"no account with id {theirs.pk}"},
        {"id": 999_999, "reason": "no account with id 999999"},
    ]
    assert Account.objects.get(pk=theirs.pk).industry == "keep"
    assert set(Account.objects.filter(owner=sam).values_list("industry", flat=True)) == {"food"}
    # Each change is in the history, as a single edit's is.
    assert LogEntry.objects.get_for_object(own[0]).filter(changes__icontains="food").exists()


def test_owner_set_on_the_filtered_accounts_then_undone():
    boss = make_user(role="manager")
    ann = make_user(role="success_manager", username="ann")
    chosen = [make_account(size_band="11-50") for _ in range(3)]
    other = make_account(size_band="201-1000")
    result = accounts_bulk_apply(
        by=boss, action="set", params={"field": "owner_id", "value": str(ann.pk)},
        filters={"size_band": "11-50"}, ids=None, now=NOW,
    )  # fmt: skip
    assert (result["changed"], result["unchanged"], result["refused"]) == (3, 0, [])
    assert Account.objects.filter(owner=ann).count() == 3
    assert Account.objects.get(pk=other.pk).owner_id is None
    changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert not Account.objects.filter(pk__in=[a.pk for a in chosen], owner=ann).exists()


def test_undo_is_refused_after_a_later_change():
    boss = make_user(role="manager")
    account = make_account(budget_band="")
    result = accounts_bulk_apply(
        by=boss, action="set", params={"field": "budget_band", "value": "high"}, filters={},
        ids=[account.pk], now=NOW,
    )  # fmt: skip
    customers.account_update(by=boss, account_id=account.pk, changes={"budget_band": "low"})
    with pytest.raises(UndoRefused, match="budget_band was changed since"):
        changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Account.objects.get(pk=account.pk).budget_band == "low"


def test_delete_goes_to_the_trash_and_undo_restores():
    boss = make_user(role="admin")
    account = make_account(name="Gone Ltd")
    result = accounts_bulk_apply(
        by=boss, action="delete", params={}, filters={}, ids=[account.pk], now=NOW
    )
    assert result["changed"] == 1 and not Account.objects.filter(pk=account.pk).exists()
    assert TrashItem.objects.filter(object_id=account.pk).exists()
    changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Account.objects.get(pk=account.pk).name == "Gone Ltd"


def test_an_analyst_is_refused_on_every_write():
    analyst = make_user(role="analyst")
    account = make_account(industry="x")
    with pytest.raises(AccessDenied):
        accounts_bulk_start(
            by=analyst, action="delete", params={}, filters={}, ids=[account.pk], via="web"
        )
    with pytest.raises(AccessDenied):
        accounts_bulk_apply(
            by=analyst, action="delete", params={}, filters={}, ids=[account.pk], now=NOW
        )
    with pytest.raises(AccessDenied):
        account_cell_set(by=analyst, account_id=account.pk, field="industry", value="y", now=NOW)
    assert not Run.objects.exists() and Account.objects.get(pk=account.pk).industry == "x"


def test_a_bad_request_names_its_field():
    boss = make_user(role="manager")
    account = make_account()
    for params, field in (
        ({"field": "name", "value": "x"}, "field"),
        ({"field": "size_band", "value": "huge"}, "value"),
        ({"field": "owner_id", "value": "abc"}, "value"),
        ({"field": "owner_id", "value": "99999"}, "owner_id"),
        ({"field": "industry", "value": "x" * 101}, "value"),
    ):
        with pytest.raises(ValidationError) as refused:
            accounts_bulk_start(
                by=boss, action="set", params=params, filters={}, ids=[account.pk], via="web"
            )
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        accounts_bulk_start(
            by=boss, action="set", params={"field": "industry", "value": "x"},
            filters={"size_band": "huge"}, ids=None, via="web",
        )  # fmt: skip
    assert "size_band" in refused.value.message_dict


def test_the_run_decides_again_and_the_customers_run_is_unchanged():
    boss = make_user(role="manager")
    account = make_account(industry="a")
    run = accounts_bulk_start(
        by=boss, action="set", params={"field": "industry", "value": "b"}, filters={},
        ids=[account.pk], via="web",
    )  # fmt: skip
    assert run.kind == "bulk.accounts"
    run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "done" and run.result["changed"] == 1
    assert Account.objects.get(pk=account.pk).industry == "b"
    other = customers_bulk_start(
        by=boss, action="delete", params={}, filters={}, ids=[1], via="web"
    )
    assert other.kind == "bulk.customers"


def test_a_cell_sets_one_field_and_is_undone():
    boss = make_user(role="manager")
    account = make_account(size_band="")
    saved, change_set = account_cell_set(
        by=boss, account_id=account.pk, field="size_band", value="201-1000", now=NOW
    )
    assert saved.size_band == "201-1000" and change_set is not None
    assert "size_band changed" in change_set.label
    with pytest.raises(ValidationError):
        account_cell_set(by=boss, account_id=account.pk, field="name", value="x", now=NOW)
    changeset_undo(by=boss, change_set_id=change_set.pk, now=NOW)
    assert Account.objects.get(pk=account.pk).size_band == ""
