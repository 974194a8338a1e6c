"""Reverting a whole import on the real database: created records deleted, changed fields
restored, a record changed since or with later dependents left with its reason, twice is
once, and who may."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from tenure.customers.models import Account, Customer
from tenure.customers.services import customer_update
from tenure.events.models import Event
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.transfer.mapping import mapping_suggest
from tenure.transfer.models import ImportJob
from tenure.transfer.revert import import_revert
from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
from tests.factories import T0, make_customer, make_order, make_user

CUSTOMERS = (
    "customer_id,email,first_name,account\n"
    "K-1,new@example.com,Una,\n"
    "K-3,three@example.com,Tria,Acme\n"
    "K-4,four@example.com,Quattro,\n"
)
ORDERS = (
    "order_id,customer_id,placed_at,amount\n"
    "O-1,K-1,2025-01-02,10.00\n"
    "O-2,N-1,2025-01-03,20.00\n"
    "O-9,K-1,2025-01-04,99.00\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def imported(user, kind: str, content: str) -> ImportJob:
    kept = import_upload_keep(
        by=user, kind=kind, upload=SimpleUploadedFile(f"{kind}.csv", content.encode())
    )
    import_upload_map(by=user, upload_id=kept.pk, fields=mapping_suggest(kind, kept.header))
    job = import_upload_run(by=user, upload_id=kept.pk)
    assert run_execute(job.run_id)["status"] == "done"
    job.refresh_from_db()
    return job


@pytest.fixture
def manager(db):
    return make_user(role="manager")


@pytest.fixture
def k1(db):
    return make_customer(external_id="K-1", email="old@example.com", first_name="Una")


def test_revert_deletes_what_it_created_and_restores_what_it_changed(manager, k1):
    job = imported(manager, "customers", CUSTOMERS)
    assert Customer.objects.get(pk=k1.pk).email == "new@example.com"
    assert Account.objects.filter(name="Acme").exists()

    report = import_revert(by=manager, job_id=job.pk)

    assert Customer.objects.get(pk=k1.pk).email == "old@example.com"
    assert not Customer.objects.filter(external_id__in=["K-3", "K-4"]).exists()
    assert not Account.objects.filter(name="Acme").exists()
    assert sorted(report["deleted"]) == ["account Acme", "customer K-3", "customer K-4"]
    assert report["restored"] == ["customer K-1"]
    assert report["kept"] == []
    # The revert's changes are events and history like any other change.
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"customer.deleted", "customer.changed", "account.deleted"} <= kinds
    entry = LogEntry.objects.get_for_object(k1).order_by("-pk").first()
    assert entry.changes_dict["email"] == ["new@example.com", "old@example.com"]


def test_revert_leaves_a_record_changed_after_the_import_and_names_it(manager, k1):
    job = imported(manager, "customers", CUSTOMERS)
    colleague = make_user(role="manager", username="colleague")
    with set_actor(colleague):  # as the web's middleware does
        customer_update(by=colleague, customer_id=k1.pk, changes={"phone": "+1 555"})
    k4 = Customer.objects.get(external_id="K-4")
    order_create(
        by=colleague, customer_id=k4.pk, external_id="LATER", placed_at=T0, amount=5, currency="EUR"
    )

    report = import_revert(by=manager, job_id=job.pk)

    k1.refresh_from_db()
    assert (k1.email, k1.phone) == ("new@example.com", "+1 555")  # left as it is
    assert {"record": "customer K-1", "reason": "colleague changed it after the import"} in (
        report["kept"]
    )
    assert {"record": "customer K-4", "reason": "order LATER was made after the import"} in (
        report["kept"]
    )
    assert "customer K-3" in report["deleted"]
    assert Customer.objects.filter(external_id="K-4").exists()


def test_revert_twice_is_revert_once(manager, k1):
    job = imported(manager, "customers", CUSTOMERS)
    first = import_revert(by=manager, job_id=job.pk)
    entries, events = LogEntry.objects.count(), Event.objects.count()
    make_customer(external_id="K-3")  # made again since: a second revert must not touch it

    assert import_revert(by=manager, job_id=job.pk) == first
    assert (LogEntry.objects.count(), Event.objects.count()) == (entries + 1, events + 1)
    assert Customer.objects.filter(external_id="K-3").exists()
    assert ImportJob.objects.get(pk=job.pk).reverted_by == manager


def test_reverting_an_order_log_deletes_its_orders_and_customers_and_restores_amounts(manager, k1):
    make_order(customer=k1, external_id="O-1", amount=Decimal("7.00"), placed_at=T0)
    job = imported(manager, "orders", ORDERS)
    k1.refresh_from_db()
    assert Order.objects.get(external_id="O-1").amount == Decimal("10.00")
    assert k1.orders_count == 2

    report = import_revert(by=manager, job_id=job.pk)

    assert Order.objects.get(external_id="O-1").amount == Decimal("7.00")
    assert not Order.objects.filter(external_id__in=["O-2", "O-9"]).exists()
    assert not Customer.objects.filter(external_id="N-1").exists()
    k1.refresh_from_db()
    assert (k1.orders_count, k1.revenue) == (1, Decimal("7.00"))  # the figures follow
    assert set(report["deleted"]) == {"order O-2", "order O-9", "customer N-1"}
    assert report["restored"] == ["order O-1"]


def test_an_analyst_may_not_revert_nor_another_success_manager(manager, k1):
    job = imported(manager, "customers", CUSTOMERS)
    with pytest.raises(PermissionDenied):
        import_revert(by=make_user(role="analyst"), job_id=job.pk)
    with pytest.raises(Http404):
        import_revert(by=make_user(role="success_manager"), job_id=job.pk)
    assert ImportJob.objects.get(pk=job.pk).reverted_at is None
    assert Customer.objects.filter(external_id="K-3").exists()


def test_a_success_manager_reverts_their_own_import(db):
    mine = make_user(role="success_manager")
    job = imported(mine, "customers", "customer_id,email\nS-1,s@example.com\n")
    assert Customer.objects.get(external_id="S-1").owner == mine
    assert import_revert(by=mine, job_id=job.pk)["deleted"] == ["customer S-1"]
