"""Writes: a cell edited on the list, a record's edit page (``record_update_undoable``), a bulk
change of many customers or accounts (Undo and the trash are ``tenure.bulk.undo``). Each record
goes through its own service as a single edit does (roles, scope, validation, history and
events per record; the services of each kind in ``tenure.bulk.undoable``); what changed is
logged as a ``ChangeSet`` so that its author (or an admin) can put it back. ``bulk_set_each``
and ``record_cell_set`` are the same steps for any record with its own service (the tasks' and
orders' bulk changes and cells: ``task_bulk``, ``order_bulk``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404

from tenure.access import AccessDenied, require, visible
from tenure.access.filtering import InvalidFilters
from tenure.access.records import record_for_change
from tenure.bulk.models import ChangeKind, ChangeRow, ChangeSet
from tenure.bulk.undoable import undoable_of
from tenure.customers import services as customers
from tenure.customers.filters import AccountFilterSet, CustomerFilterSet
from tenure.customers.models import Account, BudgetBand, Customer, SizeBand
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.domain.limits import INTEGER_MAX
from tenure.history.bulk import value_plain
from tenure.jobs.models import Run
from tenure.jobs.services import run_start
from tenure.segments.models import Segment
from tenure.segments.services import segment_members_add
from tenure.users.models import User

CELL_FIELDS = ("owner_id", "category", "channel", "email", "phone")
"""What a customers list cell edits in place."""
BULK_FIELDS = ("owner_id", "category", "channel", "account_id")
"""What a bulk change may set. Not consent: a consent is the person's own choice."""
BULK_ACTIONS = ("set", "segment", "delete")
BULK_MAX_IDS = 100_000
ACCOUNT_CELL_FIELDS = ("owner_id", "industry", "size_band")
"""What an accounts list cell edits in place."""
ACCOUNT_BULK_FIELDS = ("owner_id", "industry", "size_band", "budget_band")
"""What a bulk change of accounts may set."""
ACCOUNT_BULK_ACTIONS = ("set", "delete")
M = TypeVar("M", bound=Model)
_TEXT_MAX = {"industry": 100}  # the account's column; a customer's texts hold 60
_ACCOUNT_CHOICES = {"size_band": SizeBand.values, "budget_band": BudgetBand.values}


# --- one cell ---------------------------------------------------------------------------------


def _record_changes(
    change_set: ChangeSet, model: str, pk: int, before: Mapping[str, Any], after: Mapping[str, Any]
) -> int:
    rows = [
        ChangeRow(
            change_set=change_set,
            model=model,
            object_id=pk,
            field=name,
            before=value_plain(before.get(name)),
            after=value_plain(value),
        )
        for name, value in after.items()
        if value_plain(before.get(name)) != value_plain(value)
    ]
    ChangeRow.objects.bulk_create(rows)
    return len(rows)


def _values(record: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _cell_allowed(by: User, field: str, allowed: Iterable[str]) -> None:
    require(by, Action.CHANGE)
    if field not in allowed:
        raise ValidationError({field: ["this field is not edited in the list"]})


def _cell_labelled(record: Model, field: str, change_set: ChangeSet | None) -> ChangeSet | None:
    """The toast's words for a cell's change set: the record and the field."""
    if change_set is not None:
        change_set.label = f"{record}: {field.removesuffix('_id')} changed"
        change_set.save(update_fields=["label"])
    return change_set


@transaction.atomic
def customer_cell_set(
    *, by: User, customer_id: int, field: str, value: Any, now: datetime
) -> tuple[Customer, ChangeSet | None]:
    """Set one field of a customer from the list (``CELL_FIELDS``) through
    ``customer_update``; the change set to undo it, None when nothing changed."""
    _cell_allowed(by, field, CELL_FIELDS)
    customer, change_set = record_update_undoable(
        by=by, model=Customer, pk=customer_id, changes={field: value}, now=now
    )
    return customer, _cell_labelled(customer, field, change_set)


@transaction.atomic
def account_cell_set(
    *, by: User, account_id: int, field: str, value: Any, now: datetime
) -> tuple[Account, ChangeSet | None]:
    """Set one field of an account from the list (``ACCOUNT_CELL_FIELDS``) through
    ``account_update``; the change set to undo it, None when nothing changed."""
    _cell_allowed(by, field, ACCOUNT_CELL_FIELDS)
    account, change_set = record_update_undoable(
        by=by, model=Account, pk=account_id, changes={field: value}, now=now
    )
    return account, _cell_labelled(account, field, change_set)


@transaction.atomic
def record_update_undoable(
    *, by: User, model: type[M], pk: int, changes: Mapping[str, Any], now: datetime
) -> tuple[M, ChangeSet | None]:
    """An edit page's save of any record of the Undo registry (``tenure.bulk.undoable``:
    customers, accounts, contacts, subscriptions, orders, tasks) through its own service, with
    the change set that undoes it (None when nothing changed)."""
    entry = undoable_of(model._meta.label)
    assert entry is not None, f"{model._meta.label} is not in the Undo registry"
    before = _values(record_for_change(by, model, pk), changes)
    record: Any = entry.update(by, pk, changes)
    return record, _logged(by, model._meta.label, record, before, now)


@transaction.atomic
def record_cell_set(
    *,
    by: User,
    model: type[M],
    pk: int,
    field: str,
    value: Any,
    allowed: Iterable[str],
    update: Callable[[int, dict[str, Any]], M],
    now: datetime,
) -> tuple[M, ChangeSet | None]:
    """A list's cell of any record: ``field`` (one of ``allowed``) set through the record's
    own service, ``update(pk, changes)``; the change set to undo it, None when nothing
    changed (the orders' and tasks' cells; customers and accounts have their own above)."""
    _cell_allowed(by, field, allowed)
    before = _values(record_for_change(by, model, pk), [field])
    record = update(pk, {field: value})
    change_set = _logged(by, model._meta.label, record, before, now)
    return record, _cell_labelled(record, field, change_set)


def _logged(
    by: User, model: str, record: Model, before: Mapping[str, Any], now: datetime
) -> ChangeSet | None:
    after = _values(record, before)
    if all(value_plain(before[name]) == value_plain(after[name]) for name in before):
        return None
    change_set = ChangeSet.objects.create(
        author=by, kind=ChangeKind.EDIT, created_at=now, label=f"{record} edited"
    )
    _record_changes(change_set, model, int(record.pk), before, after)
    return change_set


# --- many customers ---------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    changed: int = 0
    unchanged: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_result(self, change_set: ChangeSet | None) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "change_set": change_set.pk if change_set else None,
        }


def bulk_request_check(*, by: User, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The action and its parameters, checked before a run is asked for: an analyst is
    refused (``AccessDenied``), a wrong value is a ``ValidationError`` on its field."""
    return _request_check(by, action, params, BULK_ACTIONS, BULK_FIELDS)


def account_bulk_request_check(
    *, by: User, action: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``bulk_request_check`` for accounts: their fields, a band one of its choices."""
    checked = _request_check(by, action, params, ACCOUNT_BULK_ACTIONS, ACCOUNT_BULK_FIELDS)
    choices = _ACCOUNT_CHOICES.get(checked.get("field", ""))
    if choices is not None and checked["value"] not in ("", *choices):
        raise ValidationError({"value": [f"one of {', '.join(choices)}, or empty for none"]})
    return checked


def _request_check(
    by: User,
    action: str,
    params: Mapping[str, Any],
    actions: tuple[str, ...],
    fields: tuple[str, ...],
) -> dict[str, Any]:
    require(by, Action.CHANGE)
    if action not in actions:
        raise ValidationError({"action": [f"one of {', '.join(actions)}"]})
    if action == "set":
        name = params.get("field")
        if name not in fields:
            raise ValidationError({"field": [f"one of {', '.join(fields)}"]})
        value = params.get("value")
        if name.endswith("_id"):
            if value in (None, ""):
                value = None
            elif not _an_id(value):
                raise ValidationError({"value": ["an id, or empty for none"]})
            else:
                value = int(value)
            customers.check_references(by, {name: value})
        elif value is None and name in _ACCOUNT_CHOICES:
            value = ""  # a band left empty: none
        elif not isinstance(value, str) or len(value) > _TEXT_MAX.get(name, 60) or "\x00" in value:
            raise ValidationError(
                {"value": [f"text of at most {_TEXT_MAX.get(name, 60)} characters"]}
            )
        return {"field": name, "value": value}
    if action == "segment":
        segment = params.get("segment_id")
        if not _an_id(segment):
            raise ValidationError({"segment_id": ["a static segment's id"]})
        return {"segment_id": int(str(segment))}
    return {}


def _an_id(value: Any) -> bool:
    """A whole number from 1 to 2^63-1, as text or a number (a larger one cannot reach the
    database)."""
    text = str(value or "")
    return text.isdigit() and 0 < int(text) <= INTEGER_MAX


def customers_bulk_start(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    via: str,
) -> Run:
    """Ask for a bulk action as a background run, once its request is checked (the role, the
    action and its values, the filters, at most ``BULK_MAX_IDS`` ids): the same refusals the
    run would give, said now on their fields."""
    from tenure.bulk.tasks import BULK

    params = bulk_request_check(by=by, action=action, params=params)
    return bulk_run_start(
        by=by, kind=BULK, filterset=CustomerFilterSet, action=action, params=params,
        filters=filters, ids=ids, via=via,
    )  # fmt: skip


def bulk_run_start(
    *,
    by: User,
    kind: str,
    filterset: Any,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    via: str,
) -> Run:
    """The run of a bulk action whose action and values are checked already: its filters
    (``filterset``'s, the list's) and ids checked now, on their fields."""
    noun = filterset._meta.model._meta.verbose_name
    try:
        filterset.of(by, filters).filtered()
    except InvalidFilters as invalid:
        raise ValidationError(invalid.fields) from invalid
    if ids is not None and not 1 <= len(ids) <= BULK_MAX_IDS:
        raise ValidationError({"ids": [f"1 to {BULK_MAX_IDS:,} {noun} ids, or none for all"]})
    args = {"by": by.pk, "action": action, "params": dict(params), "filters": dict(filters),
            "ids": ids, "via": via}  # fmt: skip
    run, _ = run_start(kind=kind, by=by, args=args)
    return run


def bulk_targets(
    *, by: User, filters: Mapping[str, Any], ids: list[int] | None
) -> tuple[list[int], list[dict[str, Any]]]:
    """The customers a bulk action works on, decided again at run time: those ``filters``
    choose among what ``by`` may see, narrowed to ``ids`` when given. An id outside that is
    refused as unknown ("no customer with id N", as everywhere); one ``by`` sees but may not
    change is refused as outside their book."""
    return _targets(by, CustomerFilterSet, filters, ids)


def account_targets(
    *, by: User, filters: Mapping[str, Any], ids: list[int] | None
) -> tuple[list[int], list[dict[str, Any]]]:
    """``bulk_targets`` for accounts: the accounts list's filters over what ``by`` sees."""
    return _targets(by, AccountFilterSet, filters, ids)


def _targets(
    by: User, filterset: Any, filters: Mapping[str, Any], ids: list[int] | None
) -> tuple[list[int], list[dict[str, Any]]]:
    model = filterset._meta.model
    noun = model._meta.verbose_name
    try:
        chosen: QuerySet[Any] = filterset.of(by, filters).filtered()
    except InvalidFilters as invalid:
        raise ValidationError(invalid.fields) from invalid
    chosen = chosen.order_by("pk")
    if ids is not None:
        chosen = chosen.filter(pk__in=ids)
    seen = list(chosen.values_list("pk", flat=True))
    changeable = set(
        visible(by, model, Action.CHANGE).filter(pk__in=seen).values_list("pk", flat=True)
    )
    refused = [
        {"id": pk, "reason": f"no {noun} with id {pk}"} for pk in sorted(set(ids or []) - set(seen))
    ]
    refused += [
        {"id": pk, "reason": f"not in your book: you may not change this {noun}"}
        for pk in seen
        if pk not in changeable
    ]
    return [pk for pk in seen if pk in changeable], refused


def _words(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, Http404):
        return "no longer in your book"
    return str(error)


def bulk_set_each(
    *,
    by: User,
    model: type[Model],
    targets: list[int],
    name: str,
    value: Any,
    update: Callable[[int, dict[str, Any]], Model],
    outcome: BulkOutcome,
    change_set: ChangeSet,
    progress: Callable[[int, int], None],
) -> None:
    """Set ``name`` to ``value`` on each of ``targets``, one record per transaction through
    its service (``update(pk, changes)``): unchanged where it holds the value already, each
    change logged in ``change_set``, a refusal kept with its reason (the tasks' and orders'
    bulk changes)."""
    for done, pk in enumerate(targets, start=1):
        try:
            with transaction.atomic():
                before = _values(record_for_change(by, model, pk), [name])
                if value_plain(before[name]) == value_plain(value):
                    outcome.unchanged += 1
                else:
                    record = update(pk, {name: value})
                    after = _values(record, [name])
                    _record_changes(change_set, model._meta.label, pk, before, after)
                    outcome.changed += 1
        except (ValidationError, Conflict, Http404, AccessDenied) as error:
            outcome.refused.append({"id": pk, "reason": _words(error)})
        if done % 50 == 0 or done == len(targets):
            progress(done, len(targets))


def bulk_result(change_set: ChangeSet, outcome: BulkOutcome) -> dict[str, Any]:
    """The run's result; the change set dropped when it changed nothing (nothing to undo)."""
    if not change_set.rows.exists():
        change_set.delete()
        return outcome.as_result(None)
    return outcome.as_result(change_set)


def customers_bulk_apply(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    now: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Any]:
    """Do a bulk action on the customers ``bulk_targets`` finds, one customer per transaction
    through the customers' services: ``changed``, ``unchanged``, and ``refused`` per row with
    the reason; the change set that undoes it."""
    params = bulk_request_check(by=by, action=action, params=params)
    targets, refused = bulk_targets(by=by, filters=filters, ids=ids)
    outcome = BulkOutcome(refused=refused)
    label = _bulk_label(action, params, len(targets))
    kinds = {"delete": ChangeKind.DELETE, "segment": ChangeKind.MEMBERSHIP}
    change_set = ChangeSet.objects.create(
        author=by, kind=kinds.get(action, ChangeKind.BULK), label=label, created_at=now
    )
    if action == "segment":
        _bulk_segment(by, change_set, params["segment_id"], targets, outcome, now)
        progress(len(targets), len(targets))
    else:
        for done, pk in enumerate(targets, start=1):
            try:
                with transaction.atomic():
                    if action == "set":
                        _bulk_set(by, change_set, pk, params["field"], params["value"], outcome)
                    else:
                        _bulk_delete(by, change_set, pk, now, outcome)
            except (ValidationError, Conflict, Http404, AccessDenied) as error:
                outcome.refused.append({"id": pk, "reason": _words(error)})
            if done % 50 == 0 or done == len(targets):
                progress(done, len(targets))
    if not change_set.rows.exists():
        change_set.delete()
        return outcome.as_result(None)
    return outcome.as_result(change_set)


def _bulk_label(action: str, params: Mapping[str, Any], count: int) -> str:
    many = f"{count} customer{'s' if count != 1 else ''}"
    if action == "set":
        return f"{params['field'].removesuffix('_id')} set on {many}"
    if action == "segment":
        return f"{many} added to a segment"
    return f"{many} deleted"


def _bulk_set(
    by: User, change_set: ChangeSet, pk: int, name: str, value: Any, outcome: BulkOutcome
) -> None:
    before = _values(record_for_change(by, Customer, pk), [name])
    if value_plain(before[name]) == value_plain(value):
        outcome.unchanged += 1
        return
    customer = customers.customer_update(by=by, customer_id=pk, changes={name: value})
    _record_changes(change_set, "customers.Customer", pk, before, _values(customer, [name]))
    outcome.changed += 1


def _bulk_delete(
    by: User, change_set: ChangeSet, pk: int, now: datetime, outcome: BulkOutcome
) -> None:
    item = customers.customer_delete(by=by, customer_id=pk)
    ChangeRow.objects.create(
        change_set=change_set, model="customers.Customer", object_id=pk, trash_item=item
    )
    outcome.changed += 1


def _bulk_segment(
    by: User,
    change_set: ChangeSet,
    segment_id: int,
    targets: list[int],
    outcome: BulkOutcome,
    now: datetime,
) -> None:
    # The segment's own service, set-wise: each new member a stay and an event; a customer
    # already in it is unchanged and not logged, so Undo takes out only those it put in.
    try:
        change = segment_members_add(by=by, segment_id=segment_id, customer_ids=targets, now=now)
    except (ValidationError, Conflict, Http404) as error:
        outcome.refused += [{"id": pk, "reason": _words(error)} for pk in targets]
        return
    ChangeRow.objects.bulk_create(
        (
            ChangeRow(change_set=change_set, model="customers.Customer", object_id=pk,
                      field="segment", after=segment_id)
            for pk in change.entered_ids
        ),
        batch_size=5000,
    )  # fmt: skip
    outcome.changed = change.entered
    outcome.unchanged = len(targets) - change.entered
    name = Segment.objects.filter(pk=segment_id).values_list("name", flat=True).first()
    many = f"{change.entered} customer{'s' if change.entered != 1 else ''}"
    change_set.label = f"{many} added to {name}"[:300]  # those put in, not those already in it
    change_set.save(update_fields=["label"])
