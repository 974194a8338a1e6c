"""Undo of what makes records, moves customers and fills segments: the composer's interaction
(with the follow-up task it opened), a stage move by hand, customers put in a static segment
(logged by ``services.customers_bulk_apply``). Each writer here logs its change set in the
action's own transaction; each kind's reversal, registered with ``undoable.REVERSALS``, checks
every row before it changes anything, then reverses them through the services, so history and
events are written as for any change (an undone interaction goes to the trash, restorable)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404

from tenure.access import AccessDenied
from tenure.bulk.models import ChangeKind, ChangeRow, ChangeSet
from tenure.bulk.services import _words
from tenure.bulk.undo import UndoRefused
from tenure.bulk.undoable import Reversal, reversal_register, undoable_of
from tenure.domain.errors import Conflict
from tenure.history.bulk import value_plain
from tenure.lifecycle.models import CustomerStage, ManualMove
from tenure.lifecycle.services import active_model, customer_stage_move
from tenure.notifications.services import RESOLUTION, Composed, interaction_compose
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import segment_members_remove
from tenure.users.models import User

_CHUNK = 10_000
_SERVICE_REFUSALS = (ValidationError, Conflict, Http404, AccessDenied)


def _refused(error: Exception) -> UndoRefused:
    """A service's refusal during the reversal, in the toast's words (all is rolled back)."""
    if isinstance(error, Http404):
        return UndoRefused("it is no longer in your book; nothing was undone.")
    return UndoRefused(f"{_words(error)}; nothing was undone.")


# --- the composer: records made ---------------------------------------------------------------


@transaction.atomic
def interaction_compose_undoable(
    *, author: User, now: datetime, **compose: Any
) -> tuple[Composed, ChangeSet | None]:
    """The composer (``notifications.services.interaction_compose``, its arguments) with the
    change set that undoes it: the interaction logged and the follow-up task it opened, each
    as made. A resolution changes a complaint rather than logging one: no Undo (None)."""
    composed = interaction_compose(author=author, **compose)
    if compose.get("kind") == RESOLUTION:
        return composed, None
    interaction = composed.interaction
    about = interaction.customer or interaction.account
    words = f"{interaction.get_kind_display()} logged about {about}"
    if composed.task is not None:
        words += ", with a follow-up task"
    change_set = ChangeSet.objects.create(
        author=author, kind=ChangeKind.CREATE, label=words[:300], created_at=now
    )
    for record in (interaction, composed.task):
        if record is not None:
            _created(change_set, record)
    return composed, change_set


def _as_stored(model: type[Model], pk: int, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The record's ``names`` as stored, as JSON; None when it is gone. Read back, not taken
    from the instance in hand, so a moment compares in one time zone."""
    found = model._default_manager.filter(pk=pk).values(*names).first()
    return None if found is None else {name: value_plain(found[name]) for name in names}


def _created(change_set: ChangeSet, record: Model) -> None:
    entry = undoable_of(record._meta.label)
    assert entry is not None and entry.remove is not None, f"{record._meta.label} not removable"
    ChangeRow.objects.create(
        change_set=change_set, model=record._meta.label, object_id=record.pk,
        after=_as_stored(type(record), int(record.pk), entry.compared),
    )  # fmt: skip


def _creations_check(by: User, change_set: ChangeSet, rows: list[ChangeRow]) -> None:
    """Refused when a record made was edited since (a note's words, a task reassigned or
    done: taking it away would lose that), or is gone."""
    for row in rows:
        entry = undoable_of(row.model)
        model = apps.get_model(row.model)
        noun = model._meta.verbose_name
        if entry is None or entry.remove is None:
            raise UndoRefused(f"a {noun} made is not undone here.")
        stored = _as_stored(model, row.object_id, entry.compared)
        if stored is None:
            raise UndoRefused(f"{noun} {row.object_id} no longer exists; nothing was undone.")
        if stored != row.after:
            record = model._default_manager.get(pk=row.object_id)
            raise UndoRefused(f"{noun} “{record}” was edited since; nothing was undone.")


def _creations_apply(by: User, change_set: ChangeSet, rows: list[ChangeRow], now: datetime) -> None:
    # Newest first: the task is cancelled before its interaction goes to the trash.
    for row in rows:
        entry = undoable_of(row.model)
        assert entry is not None and entry.remove is not None
        try:
            entry.remove(by, row.object_id)
        except _SERVICE_REFUSALS as error:
            raise _refused(error) from error


# --- a stage move by hand ---------------------------------------------------------------------


def _stage_names() -> dict[str, str]:
    _, model = active_model()
    return {stage.key: stage.name for stage in model.stages}


@transaction.atomic
def stage_move_undoable(
    *, by: User, customer_id: int, stage: str, reason: str, now: datetime
) -> tuple[CustomerStage | None, ChangeSet | None]:
    """``lifecycle.services.customer_stage_move`` with the change set that undoes it: the move
    (its ``ManualMove``) and the stage it left. None when the customer stands where they stood
    (nothing moved) or stood in no stage yet (nowhere to go back to)."""
    left = (
        CustomerStage.objects.filter(customer_id=customer_id)
        .values_list("stage", flat=True)
        .first()
    )
    moved = customer_stage_move(by=by, customer_id=customer_id, stage=stage, reason=reason, now=now)
    if moved is None or left is None or moved.stage == left:
        return moved, None
    move = ManualMove.objects.filter(customer_id=customer_id).latest("pk")
    label = f"{moved.customer} moved to {_stage_names().get(moved.stage, moved.stage)}"
    change_set = ChangeSet.objects.create(
        author=by, kind=ChangeKind.MOVE, label=label[:300], created_at=now
    )
    ChangeRow.objects.create(
        change_set=change_set, model="lifecycle.ManualMove", object_id=move.pk, field="stage",
        before=left, after=moved.stage,
    )  # fmt: skip
    return moved, change_set


def _moves_check(by: User, change_set: ChangeSet, rows: list[ChangeRow]) -> None:
    """Refused when the customer no longer stands where the move put them, since the move:
    another stage, or the same one entered again later."""
    names = _stage_names()
    for row in rows:
        move = ManualMove.objects.select_related("customer").filter(pk=row.object_id).first()
        if move is None:
            raise UndoRefused("that customer no longer exists; nothing was undone.")
        stands = CustomerStage.objects.filter(customer_id=move.customer_id).first()
        if stands is None or stands.stage != row.after or stands.entered_at > move.at:
            now_in = names.get(stands.stage, stands.stage) if stands else "no stage"
            raise UndoRefused(
                f"{move.customer}: the stage changed since (now {now_in}); nothing was undone."
            )


def _moves_apply(by: User, change_set: ChangeSet, rows: list[ChangeRow], now: datetime) -> None:
    # A move by hand of its own, back to the stage left: the history keeps both, and every
    # later replay honours both at their moments.
    names = _stage_names()
    for row in rows:
        move = ManualMove.objects.get(pk=row.object_id)
        went = names.get(str(row.after), str(row.after))
        try:
            customer_stage_move(
                by=by, customer_id=move.customer_id, stage=str(row.before),
                reason=f"Undo of the move to {went}", now=now,
            )  # fmt: skip
        except _SERVICE_REFUSALS as error:
            raise _refused(error) from error


# --- customers put in a static segment --------------------------------------------------------


def _members_check(by: User, change_set: ChangeSet, rows: list[ChangeRow]) -> None:
    for segment_id in {int(row.after or 0) for row in rows}:
        if not Segment.objects.filter(pk=segment_id).exists():
            raise UndoRefused("that segment no longer exists; nothing was undone.")


def _members_apply(by: User, change_set: ChangeSet, rows: list[ChangeRow], now: datetime) -> None:
    # Only the stays this change opened and still open: a customer who left since, or was
    # put in again by a later change, is left as they are.
    added: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        added[int(row.after or 0)].append(row.object_id)
    for segment_id, customer_ids in added.items():
        ours: list[int] = []
        for start in range(0, len(customer_ids), _CHUNK):
            ours += SegmentMembership.objects.filter(
                segment_id=segment_id, customer_id__in=customer_ids[start : start + _CHUNK],
                left_at__isnull=True, entered_at=change_set.created_at,
            ).values_list("customer_id", flat=True)  # fmt: skip
        if not ours:
            continue
        try:
            segment_members_remove(by=by, segment_id=segment_id, customer_ids=ours, now=now)
        except _SERVICE_REFUSALS as error:
            raise _refused(error) from error


reversal_register(Reversal(_creations_check, _creations_apply), ChangeKind.CREATE)
reversal_register(Reversal(_moves_check, _moves_apply), ChangeKind.MOVE)
reversal_register(Reversal(_members_check, _members_apply), ChangeKind.MEMBERSHIP)
