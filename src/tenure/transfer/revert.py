"""Revert a whole import: delete the records it created, give the records it changed their
values from before it. One service for the page, the API and the CLI.

What the import did is read from the history it wrote (``tenure.history.bulk``): its
``BulkCreation`` runs (created) and its update entries (each field's [before, after]), both
naming the import. Each record goes back through the apps' own services (``order_delete``,
``customer_update``...), so the revert leaves the history and the events any other change
leaves. A record is left as it is, with the reason naming it, when someone changed it after the
import (an entry of the history since the import started that is not the import's), when its
values are no longer what the import wrote, or when records made after the import hang from it
(an order placed on an imported customer, a note, a task). The outcome is kept on the import:
a second revert changes nothing and answers the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from tenure.access import may, require, sees_all, visible
from tenure.customers.models import Account, Customer
from tenure.customers.services import customer_update
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.feedback.models import SurveyResponse
from tenure.history.tracked import TRACKED
from tenure.jobs.models import UNFINISHED, Run
from tenure.jobs.services import run_start
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_refresh, order_update
from tenure.transfer.models import ImportJob, ImportStatus
from tenure.transfer.selectors import import_created_ids
from tenure.users.models import User

# The history names a foreign key by its field; the services take its column.
_CHUNK = 1000
_ATTNAMES = {"customer": "customer_id", "account": "account_id", "owner": "owner_id"}


@dataclass(slots=True)
class RevertReport:
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)  # record, reason

    def as_data(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "restored": self.restored, "kept": self.kept}


def import_revert_allowed(*, by: Any, job: ImportJob) -> bool:
    """Admins and managers, or the person who ran the import (an analyst never)."""
    if by is None:
        return True  # the operator at the command line
    if not may(by, Action.CHANGE):
        return False
    return sees_all(by, Action.CHANGE) or job.created_by_id == by.pk


def changed_entries(job: ImportJob, model: type[models.Model]) -> dict[int, dict[str, list[Any]]]:
    """Per record of ``model`` the import changed: field -> [before, after] (a record changed
    by two batches: the first before, the last after)."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        action=LogEntry.Action.UPDATE,
        additional_data__import=job.pk,
    ).order_by("pk")
    merged: dict[int, dict[str, list[Any]]] = {}
    for object_id, changes in entries.values_list("object_id", "changes"):
        record = merged.setdefault(int(object_id), {})
        for name, (before, after) in (changes or {}).items():
            record[name] = [record[name][0] if name in record else before, after]
    return merged


def _later_changes(job: ImportJob, model: type[models.Model], ids: Iterable[int]) -> dict[int, str]:
    """Records changed since the import began by anything but the import: id -> who."""
    since = job.started_at or job.created_at
    content_type = ContentType.objects.get_for_model(model)
    later: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        entries = LogEntry.objects.filter(
            content_type=content_type, object_id__in=chunk, timestamp__gte=since
        ).select_related("actor")
        for entry in entries:
            if (entry.additional_data or {}).get("import") != job.pk:
                later.setdefault(int(entry.object_id or 0), str(entry.actor or "someone"))
    return later


def _dependents(ids: list[int], own_orders: set[int]) -> dict[int, str]:
    """Customer id -> what hangs from them besides the import's own orders, in words; one
    query per kind of record a person makes (orders, interactions, answers, tasks...)."""
    found: dict[int, str] = {}
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if not isinstance(model, type) or model._meta.label not in TRACKED:
            continue
        column = relation.field.attname
        named = "external_id" if any(f.name == "external_id" for f in model._meta.fields) else "pk"
        for chunk in _chunks(ids):
            related = model._default_manager.filter(**{f"{column}__in": chunk})
            if model is Order:
                related = related.exclude(pk__in=own_orders)
            for customer_id, name in related.values_list(column, named):
                found.setdefault(
                    customer_id, f"{model._meta.verbose_name} {name} was made after the import"
                )
    return found


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _value(model: type[models.Model], name: str, plain: Any) -> Any:
    """A value as the history keeps it (JSON: a moment or a decimal as text, written by Python
    or, for PostgreSQL's order batches, by the database) as the field holds it."""
    if plain is None:
        return None
    return model._meta.get_field(name).to_python(plain)  # type: ignore[union-attr]


def _values_before(model: type[models.Model], changes: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        _ATTNAMES.get(name, name): _value(model, name, before)
        for name, (before, _) in changes.items()
    }


def _still_as_imported(record: models.Model, changes: dict[str, list[Any]]) -> bool:
    model = type(record)
    return all(
        getattr(record, _ATTNAMES.get(name, name)) == _value(model, name, after)
        for name, (_, after) in changes.items()
    )


class _Reverting:
    def __init__(self, job: ImportJob, by: User | None) -> None:
        self.job, self.by, self.report = job, by, RevertReport()

    def keep(self, label: str, reason: str) -> None:
        self.report.kept.append({"record": label, "reason": reason})

    def attempt(self, label: str, step: Callable[[], None], done: list[str]) -> bool:
        try:
            with transaction.atomic():
                step()
        except (Conflict, Http404, PermissionDenied) as error:
            self.keep(label, str(error) or "outside what you may change")
            return False
        done.append(label)
        return True

    def restore(self, model: type[models.Model], update: Callable[..., Any], key: str) -> None:
        changed = changed_entries(self.job, model)
        later = _later_changes(self.job, model, changed)
        records: dict[int, Any] = {}
        for chunk in _chunks(sorted(changed)):
            records.update(model._default_manager.in_bulk(chunk))
        for pk, changes in changed.items():
            record = records.get(pk)
            label = f"{model._meta.verbose_name} {getattr(record, 'external_id', pk)}"
            if record is None:
                self.keep(label, "it was deleted after the import")
            elif pk in later:
                self.keep(label, f"{later[pk]} changed it after the import")
            elif not _still_as_imported(record, changes):
                self.keep(label, "its values are no longer the ones the import wrote")
            else:
                values = _values_before(model, changes)
                step = lambda pk=pk, values=values: update(  # noqa: E731
                    by=self.by, **{key: pk}, changes=values
                )
                self.attempt(label, step, self.report.restored)

    def delete(self, model: type[models.Model], labels: dict[int, str]) -> list[int]:
        """Delete these records (a statement per thousand: Django still sends each record's
        delete signals, so its history entry and its events are written as for one delete);
        those outside what the user may change are kept. Returns the ids deleted."""
        records = model._default_manager.all()
        changeable = records if self.by is None else visible(self.by, records, Action.CHANGE)
        ids = sorted(labels)
        allowed: set[int] = set()
        for chunk in _chunks(ids):
            allowed.update(changeable.filter(pk__in=chunk).values_list("pk", flat=True))
        for pk in ids:
            if pk not in allowed:
                self.keep(labels[pk], "it is outside what you may change now")
        deleted = sorted(allowed)
        for chunk in _chunks(deleted):
            model._default_manager.filter(pk__in=chunk).delete()
        self.report.deleted += [labels[pk] for pk in deleted]
        return deleted

    def delete_orders(self) -> set[int]:
        ids = import_created_ids(self.job, Order)
        later = _later_changes(self.job, Order, ids)
        answered: set[int] = set()
        orders: list[tuple[int, str, int]] = []
        for chunk in _chunks(ids):
            answered.update(
                SurveyResponse.objects.filter(order_id__in=chunk).values_list("order_id", flat=True)
            )
            found = Order.objects.filter(pk__in=chunk)
            orders += found.values_list("pk", "external_id", "customer_id")
        labels, customers = {}, set()
        for pk, external_id, customer_id in orders:
            label = f"order {external_id}"
            if pk in later:
                self.keep(label, f"{later[pk]} changed it after the import")
            elif pk in answered:
                self.keep(label, "a survey answer about it was made after the import")
            else:
                labels[pk] = label
                customers.add(customer_id)
        self.delete(Order, labels)
        customer_stats_refresh(customer_ids=customers)  # their figures follow, in this transaction
        return set(ids)

    def delete_customers(self, own_orders: set[int]) -> None:
        ids = import_created_ids(self.job, Customer)
        later = _later_changes(self.job, Customer, ids)
        hanging = _dependents(ids, own_orders)
        labels = {}
        customers: list[tuple[int, str]] = []
        for chunk in _chunks(ids):
            customers += Customer.objects.filter(pk__in=chunk).values_list("pk", "external_id")
        for pk, external_id in customers:
            label = f"customer {external_id}"
            if pk in later:
                self.keep(label, f"{later[pk]} changed it after the import")
            elif pk in hanging:
                self.keep(label, hanging[pk])
            else:
                labels[pk] = label
        self.delete(Customer, labels)

    def delete_accounts(self) -> None:
        ids = import_created_ids(self.job, Account)
        later = _later_changes(self.job, Account, ids)
        labels = {}
        for account in Account.objects.filter(pk__in=ids).order_by("pk"):
            label = f"account {account.name}"
            if account.pk in later:
                self.keep(label, f"{later[account.pk]} changed it after the import")
            elif (customer := account.customers.first()) is not None:
                self.keep(label, f"customer {customer.external_id} belongs to it")
            elif account.contacts.exists():
                self.keep(label, "contacts were added to it after the import")
            else:
                labels[account.pk] = label
        self.delete(Account, labels)


def import_revert(*, by: User | None, job_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Revert import ``job_id``; returns the report (``deleted``, ``restored``: the records,
    ``kept``: each record left as it is and why). Raises ``PermissionDenied`` for someone who
    may not (an analyst; a success manager for another person's import), ``Http404`` for an
    import they cannot see, ``Conflict`` for one still running."""
    if by is not None:
        require(by, Action.CHANGE)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or (by is not None and not _sees(by, job)):
            raise Http404("no such import")
        if not import_revert_allowed(by=by, job=job):
            raise PermissionDenied("only admins, managers or the person who imported may revert")
        if job.reverted_at is not None:
            return dict(job.revert_report)  # twice is once: the first outcome stands
        if job.status != ImportStatus.DONE:
            raise Conflict(f"the import is {job.get_status_display().lower()}: wait for its end")
        reverting = _Reverting(job, by)
        own_orders = reverting.delete_orders()
        reverting.restore(Order, order_update, "order_id")
        reverting.delete_customers(own_orders)
        reverting.restore(Customer, customer_update, "customer_id")
        reverting.delete_accounts()
        job.reverted_at, job.reverted_by = now or timezone.now(), by
        job.revert_report = reverting.report.as_data()
        job.save(update_fields=["reverted_at", "reverted_by", "revert_report"])
        return dict(job.revert_report)


def _sees(by: User, job: ImportJob) -> bool:
    return sees_all(by, Action.VIEW) or job.created_by_id == by.pk


REVERT_RUN = "transfer.revert"


def import_revert_start(*, by: User, job_id: int) -> tuple[Run, bool]:
    """Ask for the revert of import ``job_id`` as a background run (a revert of thousands of
    records takes a minute: never inside a request); returns the run and whether it is new (a
    second click finds the one queued or running). Refuses as ``import_revert`` does."""
    require(by, Action.CHANGE)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not _sees(by, job):
        raise Http404("no such import")
    if not import_revert_allowed(by=by, job=job):
        raise PermissionDenied("only admins, managers or the person who imported may revert")
    if job.status != ImportStatus.DONE:
        raise Conflict(f"the import is {job.get_status_display().lower()}: wait for its end")
    if job.reverted_at is not None:
        raise Conflict("it was reverted already")
    with transaction.atomic():
        ImportJob.objects.select_for_update().filter(pk=job.pk).first()  # one asker at a time
        if (run := import_revert_pending(job_id=job.pk)) is not None:
            return run, False
        return run_start(kind=REVERT_RUN, by=by, args={"job": job.pk})


@dataclass(frozen=True)
class RevertState:
    """Where the revert of an import stands: ``queued`` or ``running`` (its run), ``done``
    (the report), ``failed`` (the last run's error; nothing was changed, it may be asked
    again)."""

    state: str
    run_id: int | None
    report: dict[str, Any] | None
    error: str = ""


def import_revert_state(*, job: ImportJob) -> RevertState | None:
    """The revert of ``job`` as it stands, or None if nobody asked for one."""
    if job.reverted_at is not None:
        return RevertState("done", None, dict(job.revert_report))
    runs = Run.objects.filter(kind=REVERT_RUN, args__job=job.pk).order_by("-pk")
    last = runs.first()
    if last is None:
        return None
    if last.status in UNFINISHED:
        return RevertState(last.status, last.pk, None)
    # Done without the import marked reverted cannot last (one transaction); failed says why.
    return RevertState(last.status, last.pk, None, last.error)


def import_revert_pending(*, job_id: int) -> Run | None:
    """The revert run of import ``job_id`` still queued or running, or None."""
    runs = Run.objects.filter(kind=REVERT_RUN, args__job=job_id, status__in=UNFINISHED)
    return runs.order_by("-pk").first()
