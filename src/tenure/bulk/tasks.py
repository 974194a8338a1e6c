"""The background work of this app: a bulk action on customers, accounts, tasks or orders (one
``tenure.jobs`` run, its progress polled by the page) and the nightly purge of the trash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditlog.context import set_actor
from django.utils import timezone

from tenure.access import require
from tenure.domain.access import Action
from tenure.events.record import acting_via
from tenure.history.trash import TRASH_DAYS, trash_purge
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext, RunFailed
from tenure.users.models import User

BULK = "bulk.customers"
BULK_ACCOUNTS = "bulk.accounts"
BULK_TASKS = "bulk.tasks"
BULK_ORDERS = "bulk.orders"
PURGE = "bulk.trash_purge"


def _may_start(by: Any) -> None:
    require(by, Action.CHANGE)


def _as_the_asker(
    run: RunContext, apply: Callable[..., dict[str, Any]], noun: str
) -> dict[str, Any]:
    """Do the bulk action ``run.args`` names as the person who asked (their scope is decided
    again now, from the filters and ids, never trusted from the page); who did it, for the
    history and the events, is the person, not the worker."""
    by = User.objects.filter(pk=int(run.args.get("by") or 0), is_active=True).first()
    if by is None:
        raise RunFailed("The person who asked for it is no longer an active user.")
    with acting_via(run.args.get("via", "web"), by.pk), set_actor(by):
        return apply(
            by=by,
            action=run.args["action"],
            params=run.args.get("params", {}),
            filters=run.args.get("filters", {}),
            ids=run.args.get("ids"),
            now=timezone.now(),
            progress=lambda done, total: run.progress(done, total, noun),
        )


def bulk_run(run: RunContext) -> dict[str, Any]:
    from tenure.bulk.services import customers_bulk_apply

    return _as_the_asker(run, customers_bulk_apply, "customers")


def bulk_accounts_run(run: RunContext) -> dict[str, Any]:
    from tenure.bulk.account_bulk import accounts_bulk_apply

    return _as_the_asker(run, accounts_bulk_apply, "accounts")


def bulk_tasks_run(run: RunContext) -> dict[str, Any]:
    from tenure.bulk.task_bulk import tasks_bulk_apply

    return _as_the_asker(run, tasks_bulk_apply, "tasks")


def bulk_orders_run(run: RunContext) -> dict[str, Any]:
    from tenure.bulk.order_bulk import orders_bulk_apply

    return _as_the_asker(run, orders_bulk_apply, "orders")


def purge_run(run: RunContext) -> dict[str, Any]:
    """Nightly: remove what was deleted more than 30 days ago."""
    return {"purged": trash_purge(now=timezone.now()), "days": TRASH_DAYS}


BULK_KIND = RunKind(
    name=BULK,
    label="bulk change of customers",
    function=bulk_run,
    may_start=_may_start,
    unexpected="The bulk change stopped on an unexpected error (the details are in the "
    "worker's log); the customers it had done keep their change.",
)
BULK_ACCOUNTS_KIND = RunKind(
    name=BULK_ACCOUNTS,
    label="bulk change of accounts",
    function=bulk_accounts_run,
    may_start=_may_start,
    unexpected="The bulk change stopped on an unexpected error (the details are in the "
    "worker's log); the accounts it had done keep their change.",
)
BULK_TASKS_KIND = RunKind(
    name=BULK_TASKS,
    label="bulk change of tasks",
    function=bulk_tasks_run,
    may_start=_may_start,
    unexpected="The bulk change stopped on an unexpected error (the details are in the "
    "worker's log); the tasks it had done keep their change.",
)
BULK_ORDERS_KIND = RunKind(
    name=BULK_ORDERS,
    label="bulk change of orders",
    function=bulk_orders_run,
    may_start=_may_start,
    unexpected="The bulk change stopped on an unexpected error (the details are in the "
    "worker's log); the orders it had done keep their change.",
)
PURGE_KIND = RunKind(name=PURGE, label="trash purge", function=purge_run, nightly=90)
