"""Undo and the trash: ``changeset_undo`` reverses a change set as its kind's reversal says
(``undoable.REVERSALS``: an edit's, a bulk change's and a delete's are here, each field put back
through its record's service and each deleted record brought out of the trash; what makes
records, moves stages or fills segments is ``reversible``'s), and the trash's restore, early
erase and per-role view. ``services`` keeps the writes that log the change sets."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404

from tenure.access import require, visible
from tenure.bulk.models import ChangeKind, ChangeRow, ChangeSet
from tenure.bulk.services import _words
from tenure.bulk.undoable import Reversal, reversal_of, reversal_register, undoable_of
from tenure.domain.access import Action, Role
from tenure.history.bulk import value_plain
from tenure.history.models import TrashItem
from tenure.history.trash import RestoreRefused, trash_unpack
from tenure.users.models import User


class UndoRefused(Exception):
    """An undo that would overwrite a later change, or one the person may not make."""


# --- undo -------------------------------------------------------------------------------------


def _may_undo(by: User, change_set: ChangeSet) -> None:
    require(by, Action.CHANGE)
    if change_set.author_id != by.pk and by.role != Role.ADMIN:
        raise UndoRefused("Only its author or an admin may undo this.")
    if change_set.undone_at is not None:
        raise UndoRefused("This was undone already.")


@transaction.atomic
def changeset_undo(*, by: User, change_set_id: int, now: datetime) -> ChangeSet:
    """Reverse what a change set did, through the same services, as its kind's reversal says
    (``tenure.bulk.undoable.REVERSALS``): each field to its before-value, each deleted record
    out of the trash, each record made taken away, a stage move moved back, a segment's new
    members taken out. Refused whole (``UndoRefused``, the record named) when it was changed
    since or is gone: nothing is undone."""
    change_set = ChangeSet.objects.select_for_update().filter(pk=change_set_id).first()
    if change_set is None:
        raise UndoRefused(f"no change with id {change_set_id}")
    _may_undo(by, change_set)
    reversal = reversal_of(change_set.kind)
    if reversal is None:
        raise UndoRefused(f"a {change_set.get_kind_display().lower()} is not undone here")
    rows = list(change_set.rows.order_by("-id"))
    reversal.check(by, change_set, rows)
    reversal.apply(by, change_set, rows, now)
    change_set.undone_at, change_set.undone_by = now, by
    change_set.save(update_fields=["undone_at", "undone_by"])
    return change_set


def _fields_check(by: User, change_set: ChangeSet, rows: list[ChangeRow]) -> None:
    """An edit, a bulk change or a delete: refused when a field's value is no longer the one
    the change left, or its record is gone."""
    for row in rows:
        if row.trash_item_id is not None or not row.field:
            continue
        model = apps.get_model(row.model)
        record = model._default_manager.filter(pk=row.object_id).first()
        if record is None:
            raise UndoRefused(f"{model._meta.verbose_name} {row.object_id} no longer exists.")
        if value_plain(getattr(record, row.field)) != row.after:
            raise UndoRefused(
                f"{record}: {row.field.removesuffix('_id')} was changed since; nothing was undone."
            )


def _fields_apply(by: User, change_set: ChangeSet, rows: list[ChangeRow], now: datetime) -> None:
    for row in rows:
        if row.trash_item_id is not None:
            _restore_back(by, row, now)
        elif row.field:
            _put_back(by, row)


def _put_back(by: User, row: ChangeRow) -> None:
    entry = undoable_of(row.model)
    if entry is None:
        raise UndoRefused(f"{row.model} changes are not undone here")
    try:
        entry.update(by, row.object_id, {row.field: row.before})
    except ValidationError as error:
        raise UndoRefused(f"{row.field.removesuffix('_id')}: {_words(error)}") from error
    except Http404 as error:
        raise UndoRefused(f"record {row.object_id} is no longer in your book") from error


def _restore_back(by: User, row: ChangeRow, now: datetime) -> None:
    """A deleted record out of the trash, its refusal in the toast's words."""
    try:
        trash_restore(by=by, item_id=int(row.trash_item_id or 0), now=now)
    except ValidationError as error:
        noun = row.model.split(".")[-1].lower()
        raise UndoRefused(f"{noun} {row.object_id}: {_words(error)}") from error
    except Http404 as error:
        raise UndoRefused("it is no longer in the trash") from error


# --- the trash --------------------------------------------------------------------------------


def trash_visible(by: User) -> QuerySet[TrashItem]:
    """What ``by`` may see in the trash: admins and managers everything, others what they
    deleted themselves."""
    items = TrashItem.objects.all()
    if by.role in (Role.ADMIN, Role.MANAGER):
        return items
    return items.filter(deleted_by=by)


@transaction.atomic
def trash_restore(*, by: User, item_id: int, now: datetime) -> Model:
    """Bring a deleted record back exactly (same ids, its dependents, the references cleared
    by the delete), then what its kind says follows (``tenure.bulk.undoable``: its restore
    event, an order's customer's figures); 404 outside what ``by`` sees. A ``ValidationError``
    on its field when it cannot come back: a unique value taken since, the record it belongs
    to gone (an order's customer), or it would land outside ``by``'s book."""
    require(by, Action.CHANGE)
    item = trash_visible(by).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise Http404(f"no trash item with id {item_id}")
    model = item.content_type.model_class()
    entry = undoable_of(model._meta.label) if model is not None else None
    if model is None or entry is None or entry.restored is None:
        raise ValidationError({"record": ["this kind of record is not restored here"]})
    try:
        record = trash_unpack(item=item)
    except RestoreRefused as refused:
        raise ValidationError({refused.field: [refused.reason]}) from refused
    if not visible(by, model, Action.CHANGE).filter(pk=record.pk).exists():
        # What it belongs to was handed to another book since (an order's customer).
        raise ValidationError({"record": ["it would now be outside your book"]})
    entry.restored(record, now)
    return record


def trash_item_erase(*, by: User, item_id: int) -> str:
    """Remove a trash item for good before its 30 days are up (an admin's answer to a deleted
    person's erasure request: their data must not wait for the purge); returns its label."""
    require(by, Action.ADMINISTER)
    item = trash_visible(by).filter(pk=item_id).first()
    if item is None:
        raise Http404(f"no trash item with id {item_id}")
    label = item.label
    item.delete()
    return label


def trash_changeset(*, by: User, item: TrashItem, now: datetime) -> ChangeSet:
    """The change set of a single delete (a record page's Delete), so its toast can undo it."""
    change_set = ChangeSet.objects.create(
        author=by, kind=ChangeKind.DELETE, label=f"{item.label} deleted", created_at=now
    )
    ChangeRow.objects.create(
        change_set=change_set,
        model=item.content_type.model_class()._meta.label,  # type: ignore[union-attr]
        object_id=item.object_id,
        trash_item=item,
    )
    return change_set


reversal_register(
    Reversal(_fields_check, _fields_apply), ChangeKind.EDIT, ChangeKind.BULK, ChangeKind.DELETE
)
