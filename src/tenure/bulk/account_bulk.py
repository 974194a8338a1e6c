"""Bulk changes of the accounts list: set one of ``ACCOUNT_BULK_FIELDS`` or delete, as a
``bulk.accounts`` run, each account through ``account_update`` / ``account_delete`` in its own
transaction, logged as one change set (the same steps as the customers' in ``services``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from tenure.access import AccessDenied
from tenure.access.records import record_for_change
from tenure.bulk.models import ChangeKind, ChangeRow, ChangeSet
from tenure.bulk.services import (
    BulkOutcome,
    _record_changes,
    _values,
    _words,
    account_bulk_request_check,
    account_targets,
    bulk_run_start,
)
from tenure.customers import services as customers
from tenure.customers.filters import AccountFilterSet
from tenure.customers.models import Account
from tenure.domain.errors import Conflict
from tenure.history.bulk import value_plain
from tenure.jobs.models import Run
from tenure.users.models import User


def accounts_bulk_start(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    via: str,
) -> Run:
    """``customers_bulk_start`` for the accounts list: set one of ``ACCOUNT_BULK_FIELDS`` or
    delete, as a ``bulk.accounts`` run, its request checked now."""
    from tenure.bulk.tasks import BULK_ACCOUNTS

    params = account_bulk_request_check(by=by, action=action, params=params)
    return bulk_run_start(
        by=by, kind=BULK_ACCOUNTS, filterset=AccountFilterSet, action=action, params=params,
        filters=filters, ids=ids, via=via,
    )  # fmt: skip


def accounts_bulk_apply(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    now: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Any]:
    """Do a bulk action on the accounts ``account_targets`` finds, one account per
    transaction through ``account_update`` / ``account_delete``: the same result and change
    set as ``customers_bulk_apply``."""
    params = account_bulk_request_check(by=by, action=action, params=params)
    targets, refused = account_targets(by=by, filters=filters, ids=ids)
    outcome = BulkOutcome(refused=refused)
    many = f"{len(targets)} account{'s' if len(targets) != 1 else ''}"
    label = (
        f"{params['field'].removesuffix('_id')} set on {many}"
        if action == "set"
        else f"{many} deleted"
    )
    change_set = ChangeSet.objects.create(
        author=by,
        kind=ChangeKind.DELETE if action == "delete" else ChangeKind.BULK,
        label=label,
        created_at=now,
    )
    for done, pk in enumerate(targets, start=1):
        try:
            with transaction.atomic():
                if action == "set":
                    _account_set(by, change_set, pk, params["field"], params["value"], outcome)
                else:
                    item = customers.account_delete(by=by, account_id=pk)
                    ChangeRow.objects.create(
                        change_set=change_set, model="customers.Account", object_id=pk,
                        trash_item=item,
                    )  # fmt: skip
                    outcome.changed += 1
        except (ValidationError, Conflict, Http404, AccessDenied) as error:
            outcome.refused.append({"id": pk, "reason": _words(error)})
        if done % 50 == 0 or done == len(targets):
            progress(done, len(targets))
    if not change_set.rows.exists():
        change_set.delete()
        return outcome.as_result(None)
    return outcome.as_result(change_set)


def _account_set(
    by: User, change_set: ChangeSet, pk: int, name: str, value: Any, outcome: BulkOutcome
) -> None:
    before = _values(record_for_change(by, Account, pk), [name])
    if value_plain(before[name]) == value_plain(value):
        outcome.unchanged += 1
        return
    account = customers.account_update(by=by, account_id=pk, changes={name: value})
    _record_changes(change_set, "customers.Account", pk, before, _values(account, [name]))
    outcome.changed += 1
