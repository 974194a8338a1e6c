"""Undo of what the composer logs, of a stage move by hand and of customers put in a static
segment, against the real database (SQLite and PostgreSQL): each reversed through the services
(history, events), each refused whole, in words, once what it did was changed since."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tenure.bulk.models import ChangeKind, ChangeRow, ChangeSet
from tenure.bulk.reversible import interaction_compose_undoable, stage_move_undoable
from tenure.bulk.services import customers_bulk_apply
from tenure.bulk.undo import UndoRefused, changeset_undo, trash_restore
from tenure.events.models import Event
from tenure.history.models import TrashItem
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_log, interaction_update
from tenure.lifecycle.models import CustomerStage, ManualMove, StageTransition
from tenure.lifecycle.services import customer_stage_move, lifecycle_recompute
from tenure.notifications.services import FollowUp
from tenure.segments.models import Segment, SegmentKind, SegmentMembership
from tenure.segments.services import segment_create, segment_members_add, segment_members_remove
from tenure.todos.models import Task, TaskStatus
from tenure.todos.services import task_update
from tests.factories import T0, make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


# --- the composer -----------------------------------------------------------------------------


def _logged(author, customer=None, account=None, follow_up=None):
    return interaction_compose_undoable(
        author=author, now=timezone.now(), customer=customer, account=account, kind="note",
        occurred_at=T0 + timedelta(days=3), subject="Quarterly check-in",
        body="Wants the annual plan", follow_up=follow_up,
    )  # fmt: skip


def test_undo_of_a_note_trashes_it_cancels_its_follow_up_and_the_trash_gives_it_back():
    sam = make_user(role="success_manager", username="sam")
    customer = make_customer(owner=sam, first_name="Grace", last_name="Hopper")
    composed, change_set = _logged(sam, customer, follow_up=FollowUp(sam, date(2025, 2, 1)))
    note, task = composed.interaction, composed.task
    assert change_set is not None and task is not None
    assert change_set.kind == ChangeKind.CREATE
    assert change_set.label == "Note logged about Grace Hopper, with a follow-up task"
    assert [(r.model, r.object_id) for r in change_set.rows.order_by("id")] == [
        ("interactions.Interaction", note.pk), ("todos.Task", task.pk),
    ]  # fmt: skip

    changeset_undo(by=sam, change_set_id=change_set.pk, now=timezone.now())

    # The note is in the trash, deleted by Sam, its deletion announced as any delete's.
    assert not Interaction.objects.filter(pk=note.pk).exists()
    item = TrashItem.objects.get(
        content_type=ContentType.objects.get_for_model(Interaction), object_id=note.pk
    )
    assert item.deleted_by == sam and item.label == "Note: Quarterly check-in"
    assert Event.objects.filter(kind="interaction.deleted", subject_id=note.pk).exists()
    # The follow-up is closed through the tasks' service: cancelled, with its history entry.
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.completed_at is not None
    assert task.interaction_id is None  # its note is in the trash
    updates = LogEntry.objects.get_for_object(task).filter(action=LogEntry.Action.UPDATE)
    entry = updates.filter(changes__has_key="status").get()
    assert entry.changes["status"] == ["open", "cancelled"]
    assert ChangeSet.objects.get(pk=change_set.pk).undone_by == sam

    # Restorable from the trash with its id, dated when it happened, so the lifecycle replays.
    restored = trash_restore(by=sam, item_id=item.pk, now=timezone.now())
    assert restored.pk == note.pk and Interaction.objects.get(pk=note.pk).subject == (
        "Quarterly check-in"
    )
    event = Event.objects.get(kind="interaction.restored", subject_id=note.pk)
    assert event.customer_id == customer.pk and event.at == T0 + timedelta(days=3)
    assert event.data == {"kind": "note", "account_id": None}
    assert Task.objects.get(pk=task.pk).interaction_id == note.pk  # the link is set back


def test_an_accounts_note_without_a_follow_up_is_undone_alone():
    mia = make_user(username="mia")
    account = make_account(name="Acme")
    composed, change_set = _logged(mia, account=account)
    assert change_set is not None and change_set.label == "Note logged about Acme"
    assert change_set.rows.count() == 1

    changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())

    assert not Interaction.objects.filter(pk=composed.interaction.pk).exists()
    assert TrashItem.objects.filter(object_id=composed.interaction.pk).count() == 1


def test_a_note_edited_since_is_not_undone_and_nothing_changes():
    mia = make_user(username="mia")
    customer = make_customer()
    composed, change_set = _logged(mia, customer, follow_up=FollowUp(mia, date(2025, 2, 1)))
    assert change_set is not None and composed.task is not None
    interaction_update(
        by=mia, interaction_id=composed.interaction.pk, changes={"body": "Wants the 3-year plan"}
    )

    with pytest.raises(UndoRefused) as refused:
        changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())

    assert str(refused.value) == (
        "interaction “Note: Quarterly check-in” was edited since; nothing was undone."
    )
    assert Interaction.objects.filter(pk=composed.interaction.pk).exists()
    assert Task.objects.get(pk=composed.task.pk).status == TaskStatus.OPEN
    assert not TrashItem.objects.exists()
    assert ChangeSet.objects.get(pk=change_set.pk).undone_at is None


def test_a_follow_up_done_since_is_not_taken_away_with_its_note():
    mia = make_user(username="mia")
    composed, change_set = _logged(
        mia, make_customer(), follow_up=FollowUp(mia, date(2025, 2, 1), "Send the quote")
    )
    assert change_set is not None and composed.task is not None
    task_update(by=mia, task_id=composed.task.pk, changes={"status": TaskStatus.DONE})

    with pytest.raises(UndoRefused, match="task “Send the quote” was edited since"):
        changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())
    assert Interaction.objects.filter(pk=composed.interaction.pk).exists()


def test_a_resolution_is_not_offered_as_a_creation_to_undo():
    mia = make_user(username="mia")
    customer = make_customer()
    complaint = interaction_log(
        author=mia, customer=customer, kind="complaint", occurred_at=T0, subject="Late parcel"
    )
    composed, change_set = interaction_compose_undoable(
        author=mia, now=timezone.now(), customer=customer, kind="resolution",
        occurred_at=T0, body="Refunded the shipping", complaint_id=complaint.pk,
    )  # fmt: skip
    assert composed.interaction.status == "resolved" and change_set is None


# --- a stage move by hand ---------------------------------------------------------------------


def _repeat_buyer(**fields):
    now = timezone.now()
    customer = make_customer(created_at=now - timedelta(days=120), **fields)
    for days in (90, 60, 30):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk])
    return customer


def _stage(customer) -> str:
    return CustomerStage.objects.get(customer=customer).stage


def test_undo_of_a_move_moves_back_by_hand_saying_so():
    mia = make_user(username="mia")
    customer = _repeat_buyer(first_name="Grace", last_name="Hopper")
    assert _stage(customer) == "retention"
    stage, change_set = stage_move_undoable(
        by=mia, customer_id=customer.pk, stage="advocacy", reason="Glowing review",
        now=timezone.now(),
    )  # fmt: skip
    assert stage is not None and stage.stage == "advocacy"
    assert change_set is not None and change_set.kind == ChangeKind.MOVE
    assert change_set.label == "Grace Hopper moved to Advocacy"
    row = change_set.rows.get()
    move = ManualMove.objects.get(customer=customer)
    assert (row.model, row.object_id, row.before, row.after) == (
        "lifecycle.ManualMove", move.pk, "retention", "advocacy",
    )  # fmt: skip

    changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())

    assert _stage(customer) == "retention"
    # A move by hand of its own: both kept in the history, the undo saying what it undid.
    back = ManualMove.objects.filter(customer=customer).latest("pk")
    assert (back.stage, back.reason, back.by) == ("retention", "Undo of the move to Advocacy", mia)
    moves = StageTransition.objects.filter(
        customer=customer, rule="by-hand", superseded_at__isnull=True
    ).order_by("effective_at")
    assert [(m.from_stage, m.to_stage) for m in moves] == [
        ("retention", "advocacy"), ("advocacy", "retention"),
    ]  # fmt: skip
    assert moves[1].reason == "Moved by hand by mia: Undo of the move to Advocacy"
    entered = Event.objects.filter(kind="stage.entered", customer_id=customer.pk).last()
    left = Event.objects.filter(kind="stage.left", customer_id=customer.pk).last()
    assert entered is not None and entered.data["stage"] == "retention"
    assert left is not None and left.data["stage"] == "advocacy"


def test_a_move_is_not_undone_once_the_stage_changed_since():
    mia = make_user(username="mia")
    customer = _repeat_buyer(first_name="Grace", last_name="Hopper")
    _, change_set = stage_move_undoable(
        by=mia, customer_id=customer.pk, stage="advocacy", reason="Glowing review",
        now=timezone.now(),
    )  # fmt: skip
    assert change_set is not None
    customer_stage_move(by=mia, customer_id=customer.pk, stage="at_risk", reason="Asked to cancel")

    with pytest.raises(UndoRefused) as refused:
        changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())

    assert str(refused.value) == (
        "Grace Hopper: the stage changed since (now At risk); nothing was undone."
    )
    assert _stage(customer) == "at_risk"
    assert ManualMove.objects.filter(customer=customer).count() == 2


def test_a_move_away_and_back_since_counts_as_changed():
    mia = make_user(username="mia")
    customer = _repeat_buyer()
    _, change_set = stage_move_undoable(
        by=mia, customer_id=customer.pk, stage="advocacy", reason="Review", now=timezone.now()
    )
    assert change_set is not None
    customer_stage_move(by=mia, customer_id=customer.pk, stage="at_risk", reason="Complained")
    customer_stage_move(by=mia, customer_id=customer.pk, stage="advocacy", reason="Reconciled")

    with pytest.raises(UndoRefused, match="the stage changed since"):
        changeset_undo(by=mia, change_set_id=change_set.pk, now=timezone.now())
    assert _stage(customer) == "advocacy"


def test_a_move_to_the_stage_one_stands_in_offers_nothing_to_undo():
    mia = make_user(username="mia")
    customer = _repeat_buyer()
    stage, change_set = stage_move_undoable(
        by=mia, customer_id=customer.pk, stage="retention", reason="Checked", now=timezone.now()
    )
    assert stage is not None and stage.stage == "retention" and change_set is None
    assert not ChangeSet.objects.exists()


# --- customers put in a static segment --------------------------------------------------------


def _members(segment) -> set[int]:
    stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return set(stays.values_list("customer_id", flat=True))


def test_undo_of_a_bulk_add_takes_out_only_those_it_put_in():
    sam = make_user(role="success_manager", username="sam")
    already, first, second = (make_customer(owner=sam) for _ in range(3))
    segment = segment_create(by=sam, name="Call this week", kind=SegmentKind.STATIC)
    segment_members_add(by=sam, segment_id=segment.pk, customer_ids=[already.pk])
    ids = [already.pk, first.pk, second.pk]

    result = customers_bulk_apply(
        by=sam, action="segment", params={"segment_id": segment.pk}, filters={}, ids=ids,
        now=timezone.now(),
    )  # fmt: skip

    assert result["changed"] == 2 and result["unchanged"] == 1
    change_set = ChangeSet.objects.get(pk=result["change_set"])
    assert change_set.kind == ChangeKind.MEMBERSHIP
    assert change_set.label == "2 customers added to Call this week"
    rows = ChangeRow.objects.filter(change_set=change_set)
    assert {(r.model, r.object_id, r.field, r.after) for r in rows} == {
        ("customers.Customer", first.pk, "segment", segment.pk),
        ("customers.Customer", second.pk, "segment", segment.pk),
    }

    changeset_undo(by=sam, change_set_id=change_set.pk, now=timezone.now())

    assert _members(segment) == {already.pk}
    assert Segment.objects.get(pk=segment.pk).members_count == 1
    left = Event.objects.filter(kind="segment.left", subject_id=segment.pk)
    assert set(left.values_list("customer_id", flat=True)) == {first.pk, second.pk}


def test_a_member_who_left_and_came_back_since_is_left_as_they_are():
    mia = make_user(username="mia")
    stays, went_and_came_back = make_customer(), make_customer()
    segment = segment_create(by=mia, name="VIP", kind=SegmentKind.STATIC)
    result = customers_bulk_apply(
        by=mia, action="segment", params={"segment_id": segment.pk}, filters={},
        ids=[stays.pk, went_and_came_back.pk], now=timezone.now(),
    )  # fmt: skip
    segment_members_remove(by=mia, segment_id=segment.pk, customer_ids=[went_and_came_back.pk])
    segment_members_add(by=mia, segment_id=segment.pk, customer_ids=[went_and_came_back.pk])

    changeset_undo(by=mia, change_set_id=result["change_set"], now=timezone.now())

    assert _members(segment) == {went_and_came_back.pk}  # the later add is not this undo's


def test_a_bulk_add_to_a_segment_deleted_since_is_refused():
    mia = make_user(username="mia")
    segment = segment_create(by=mia, name="VIP", kind=SegmentKind.STATIC)
    result = customers_bulk_apply(
        by=mia, action="segment", params={"segment_id": segment.pk}, filters={},
        ids=[make_customer().pk], now=timezone.now(),
    )  # fmt: skip
    Segment.objects.filter(pk=segment.pk).delete()

    with pytest.raises(UndoRefused, match="that segment no longer exists"):
        changeset_undo(by=mia, change_set_id=result["change_set"], now=timezone.now())


def test_a_bulk_add_that_added_no_one_keeps_no_change_set():
    mia = make_user(username="mia")
    customer = make_customer()
    segment = segment_create(by=mia, name="VIP", kind=SegmentKind.STATIC)
    segment_members_add(by=mia, segment_id=segment.pk, customer_ids=[customer.pk])
    result = customers_bulk_apply(
        by=mia, action="segment", params={"segment_id": segment.pk}, filters={},
        ids=[customer.pk], now=timezone.now(),
    )  # fmt: skip
    assert result["unchanged"] == 1 and result["change_set"] is None
    assert not ChangeSet.objects.exists()
