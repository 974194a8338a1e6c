"""Writes of segments: create, change, delete, and refresh who is in them.

Every way in (the pages, the API, the CLI, the admin) ends here, under the same checks: a
definition is validated with each problem named by its path, the role policy decides who
may change a segment, and every change of membership is stored set-wise with its event
(``segment.entered`` / ``segment.left``) in the same transaction. Refreshing a segment
evaluates its definition for everyone; refreshing customers (``segments_refresh_customers``,
what the events' consumer calls) evaluates every segment for those customers only. A static
segment has no definition: ``segment_members_add`` / ``segment_members_remove`` change it (the
pages, the API, the CLI and a playbook's steps), with the same stays and events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify

from tenure.access import visible
from tenure.access.records import (
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.segments import DefinitionError, SegmentDefinition, membership_changes
from tenure.events.bulk import events_write_rows
from tenure.events.models import Event
from tenure.segments.evaluation import (
    Evaluated,
    IntArray,
    definition_check,
    segments_evaluate,
)
from tenure.segments.events import ENTERED, LEFT, membership_event_rows
from tenure.segments.models import Segment, SegmentKind, SegmentMembership
from tenure.users.models import User

SEGMENT_CHANGES = frozenset({"name", "description", "definition", "shared"})
_CHUNK = 10_000


@dataclass(frozen=True)
class MembershipChange:
    """What one refresh did to one segment."""

    segment_id: int
    entered: int
    left: int
    members: int | None = None  # after a whole-base refresh; None after a partial one
    entered_ids: tuple[int, ...] = ()  # by hand (a static segment): who came in, who went out
    left_ids: tuple[int, ...] = ()


@dataclass
class RefreshResult:
    changes: list[MembershipChange] = field(default_factory=list)
    customers: int = 0
    skipped: dict[int, str] = field(default_factory=dict)  # definitions no longer valid

    @property
    def entered(self) -> int:
        return sum(c.entered for c in self.changes)

    @property
    def left(self) -> int:
        return sum(c.left for c in self.changes)


def definition_validated(data: Any) -> SegmentDefinition:
    """The definition compiled, or a ``ValidationError`` on ``definition`` whose messages name
    each problem's path and reason."""
    try:
        return definition_check(data)
    except DefinitionError as error:
        raise ValidationError({"definition": [str(p) for p in error.problems]}) from None


def _slug_for(name: str, *, exclude: int | None = None) -> str:
    base = (slugify(name) or "segment")[:100].strip("-") or "segment"
    others = Segment.objects.filter(slug__startswith=base)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def segment_create(
    *,
    by: User | None,
    name: str,
    definition: Any = None,
    description: str = "",
    shared: bool = True,
    kind: str = SegmentKind.DYNAMIC,
    now: datetime | None = None,
) -> Segment:
    """Save a segment ``by`` owns and fill it at once (a static one starts empty). Raises
    ``ValidationError`` by field (a blank name, each problem of the definition, a definition
    given to a static segment) and ``AccessDenied`` for a role that may not change anything."""
    require_change(by)
    if kind not in SegmentKind.values:
        raise ValidationError({"kind": [f"is one of {', '.join(SegmentKind.values)}"]})
    compiled = None
    if kind == SegmentKind.STATIC:
        if definition not in (None, {}):
            raise ValidationError({"definition": [_STATIC_HAS_NONE]})
    else:
        compiled = definition_validated(definition)
    segment = Segment(
        name=name.strip(),
        slug=_slug_for(name),
        description=description.strip(),
        kind=kind,
        definition={} if compiled is None else compiled.data,
        owner=by,
        shared=shared,
    )
    record_save(segment)
    if compiled is not None:
        _refresh_whole(segment, compiled, now or timezone.now())
    return segment


_STATIC_HAS_NONE = (
    "a static segment has no definition: its members are added and removed by hand, through "
    "the API or by a playbook's steps"
)


@transaction.atomic
def segment_update(
    *,
    by: User | None,
    segment_id: int,
    changes: Mapping[str, Any],
    now: datetime | None = None,
) -> Segment:
    """Change a segment ``by`` may change; a new definition refreshes its members at once."""
    reject_unknown_fields(changes, SEGMENT_CHANGES)
    segment = record_for_change(by, Segment, segment_id)
    compiled = None
    if "definition" in changes and segment.is_static:
        raise ValidationError({"definition": [_STATIC_HAS_NONE]})
    if "definition" in changes:
        compiled = definition_validated(changes["definition"])
        segment.definition = compiled.data
    if "name" in changes:
        segment.name = str(changes["name"]).strip()
        segment.slug = _slug_for(segment.name, exclude=segment.pk)
    if "description" in changes:
        segment.description = str(changes["description"]).strip()
    if "shared" in changes:
        segment.shared = changes["shared"]
    record_save(segment)
    if compiled is not None:
        _refresh_whole(segment, compiled, now or timezone.now())
    return segment


@transaction.atomic
def segment_delete(*, by: User | None, segment_id: int, now: datetime | None = None) -> None:
    """Delete a segment ``by`` may change; its members leave it (an event each) first."""
    segment = record_for_change(by, Segment, segment_id)
    at = now or timezone.now()
    members = list(
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )
    events_write_rows(
        membership_event_rows(
            kind=LEFT, segment_id=segment.pk, slug=segment.slug, customer_ids=members, at=at,
            reason="deleted",
        )
    )  # fmt: skip
    segment.delete()


@transaction.atomic
def segment_refresh(
    *, by: User | None, segment_id: int, now: datetime | None = None
) -> MembershipChange:
    """Evaluate one segment for every customer now (``by`` must be allowed to change it); a
    static one is only counted again."""
    segment = record_for_change(by, Segment, segment_id)
    if segment.is_static:
        count = _open_members(segment.pk).size
        at = now or timezone.now()
        Segment.objects.filter(pk=segment.pk).update(members_count=count, refreshed_at=at)
        segment.members_count = count
        return MembershipChange(segment.pk, 0, 0, count)
    return _refresh_whole(segment, definition_validated(segment.definition), now or timezone.now())


def segments_refresh(
    *,
    now: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RefreshResult:
    """Every segment evaluated for every customer (the nightly step), each segment in its own
    transaction, after the base's RFM cut-offs are stored; a definition that no longer
    validates (a fact gone) is skipped and named."""
    from tenure.segments.rfm import rfm_cutoffs_store

    now = now or timezone.now()
    result = RefreshResult()
    # Customers whose events arrive while the base is read are the live consumer's: the
    # nightly's reading of them is older than the consumer's, and must not undo its moves.
    last_event = Event.objects.aggregate(last=Max("id"))["last"] or 0
    rfm_cutoffs_store(now)  # the base's RFM quintiles, as of tonight
    segments = list(Segment.objects.filter(kind=SegmentKind.DYNAMIC).order_by("pk"))
    compiled: dict[int, SegmentDefinition] = {}
    for segment in segments:
        try:
            compiled[segment.pk] = definition_check(segment.definition)
        except DefinitionError as error:
            result.skipped[segment.pk] = str(error)
    # Every segment's facts read in one pass over the base, then each stored on its own.
    evaluated = segments_evaluate(compiled, now=now) if compiled else None
    for done, segment in enumerate(segments):
        if evaluated is not None and segment.pk in compiled:
            with transaction.atomic():
                locked = Segment.objects.select_for_update().filter(pk=segment.pk).first()
                if locked is not None:
                    live = _touched_since(last_event)
                    result.changes.append(_store_whole(locked, evaluated, now, passed_over=live))
        if on_progress is not None:
            on_progress(done + 1, len(segments))
    return result


def _refresh_whole(
    segment: Segment, compiled: SegmentDefinition, now: datetime
) -> MembershipChange:
    return _store_whole(segment, segments_evaluate({segment.pk: compiled}, now=now), now)


def _touched_since(event_id: int) -> IntArray:
    """The customers of the events written after ``event_id``."""
    found = Event.objects.filter(id__gt=event_id, customer_id__isnull=False).values_list(
        "customer_id", flat=True
    )
    return np.unique(np.fromiter(found.iterator(), dtype=np.int64))


def _store_whole(
    segment: Segment,
    evaluated: Evaluated,
    now: datetime,
    *,
    passed_over: IntArray | None = None,
) -> MembershipChange:
    """Store one segment's whole-base evaluation; ``passed_over`` customers keep their stays
    as they are (the live consumer evaluates them after their newer events)."""
    members = _open_members(segment.pk)
    ids, holds = evaluated.ids, evaluated.holds[segment.pk]
    if passed_over is not None and passed_over.size:
        keep = ~np.isin(ids, passed_over)
        ids, holds = ids[keep], holds[keep]
    entered, left = membership_changes(ids, holds, members)
    # A member no longer in the base was deleted with their stays: none is left open.
    _store(segment, entered, left, now)
    count = int(_open_members(segment.pk).size) if passed_over is not None else int(holds.sum())
    Segment.objects.filter(pk=segment.pk).update(members_count=count, refreshed_at=now)
    segment.members_count, segment.refreshed_at = count, now
    return MembershipChange(segment.pk, int(entered.size), int(left.size), count)


@transaction.atomic
def segments_refresh_customers(
    *, customer_ids: Sequence[int] | IntArray, now: datetime | None = None
) -> RefreshResult:
    """Every segment evaluated for these customers only (one customer's change re-evaluates
    their segments at once): the facts read once for all segments, the stays and events of
    each segment written set-wise."""
    now = now or timezone.now()
    ids = np.unique(np.asarray(customer_ids, dtype=np.int64))
    result = RefreshResult(customers=int(ids.size))
    if not ids.size:
        return result
    compiled: dict[int, SegmentDefinition] = {}
    segments = {s.pk: s for s in Segment.objects.filter(kind=SegmentKind.DYNAMIC).order_by("pk")}
    for pk, segment in segments.items():
        try:
            compiled[pk] = definition_check(segment.definition)
        except DefinitionError as error:
            result.skipped[pk] = str(error)
    if not compiled:
        return result
    evaluated = segments_evaluate(compiled, now=now, customer_ids=ids)
    current: dict[int, list[int]] = {}
    for start in range(0, ids.size, _CHUNK):
        stays = SegmentMembership.objects.filter(
            customer_id__in=ids[start : start + _CHUNK].tolist(), left_at__isnull=True
        )
        for segment_id, customer_id in stays.values_list("segment_id", "customer_id"):
            current.setdefault(segment_id, []).append(customer_id)
    for pk in compiled:
        entered, left = membership_changes(
            evaluated.ids, evaluated.holds[pk], np.array(current.get(pk, []), dtype=np.int64)
        )
        if entered.size or left.size:
            segment = Segment.objects.select_for_update().get(pk=pk)
            _store(segment, entered, left, now)
            Segment.objects.filter(pk=pk).update(
                members_count=segment.members_count + int(entered.size) - int(left.size)
            )
            result.changes.append(MembershipChange(pk, int(entered.size), int(left.size)))
    return result


def _static_for_change(by: User | None, segment_id: int) -> Segment:
    segment = record_for_change(by, Segment, segment_id)
    if not segment.is_static:
        raise ValidationError(
            {"segment": [f"“{segment.name}” is dynamic: its members follow its definition"]}
        )
    return segment


def _known_customers(by: User | None, customer_ids: Sequence[int] | IntArray) -> IntArray:
    """The ids as a sorted array, every one a customer ``by`` may change (else a
    ``ValidationError`` naming those that are not, as if they did not exist)."""
    ids = np.unique(np.asarray(customer_ids, dtype=np.int64))
    customers = Customer.objects.all() if by is None else visible(by, Customer, Action.CHANGE)
    found: set[int] = set()
    for start in range(0, ids.size, _CHUNK):
        part = ids[start : start + _CHUNK].tolist()
        found.update(customers.filter(pk__in=part).values_list("pk", flat=True))
    missing = [int(i) for i in ids.tolist() if int(i) not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ValidationError({"customer_ids": [f"no such customer: {shown}"]})
    return ids


@transaction.atomic
def segment_members_add(
    *,
    by: User | None,
    segment_id: int,
    customer_ids: Sequence[int] | IntArray,
    now: datetime | None = None,
) -> MembershipChange:
    """Put customers in a static segment (those already in it stay as they are): a stay and a
    ``segment.entered`` event each; the change names who came in (``entered_ids``), so an
    undo takes out exactly those."""
    segment = _static_for_change(by, segment_id)
    ids = _known_customers(by, customer_ids)
    entered = np.setdiff1d(ids, _open_members(segment.pk), assume_unique=False)
    _store(segment, entered, np.array([], dtype=np.int64), now or timezone.now())
    return _recount(segment, entered=entered, left=np.array([], dtype=np.int64))


@transaction.atomic
def segment_members_remove(
    *,
    by: User | None,
    segment_id: int,
    customer_ids: Sequence[int] | IntArray,
    now: datetime | None = None,
) -> MembershipChange:
    """Take customers out of a static segment (those not in it are left alone)."""
    segment = _static_for_change(by, segment_id)
    ids = _known_customers(by, customer_ids)
    left = np.intersect1d(ids, _open_members(segment.pk))
    _store(segment, np.array([], dtype=np.int64), left, now or timezone.now())
    return _recount(segment, entered=np.array([], dtype=np.int64), left=left)


def _recount(segment: Segment, *, entered: IntArray, left: IntArray) -> MembershipChange:
    count = int(_open_members(segment.pk).size)
    Segment.objects.filter(pk=segment.pk).update(members_count=count)
    segment.members_count = count
    return MembershipChange(
        segment.pk, int(entered.size), int(left.size), count,
        entered_ids=tuple(entered.tolist()), left_ids=tuple(left.tolist()),
    )  # fmt: skip


def _open_members(segment_id: int) -> IntArray:
    found = SegmentMembership.objects.filter(segment_id=segment_id, left_at__isnull=True)
    return np.fromiter(found.values_list("customer_id", flat=True).iterator(), dtype=np.int64)


def _store(segment: Segment, entered: IntArray, left: IntArray, at: datetime) -> None:
    """Close the stays of ``left`` and open those of ``entered``, with their events."""
    for start in range(0, left.size, _CHUNK):
        part = left[start : start + _CHUNK].tolist()
        SegmentMembership.objects.filter(
            segment=segment, customer_id__in=part, left_at__isnull=True
        ).update(left_at=Greatest("entered_at", Value(at)))
    SegmentMembership.objects.bulk_create(
        (
            SegmentMembership(segment_id=segment.pk, customer_id=c, entered_at=at)
            for c in entered.tolist()
        ),
        batch_size=5000,
    )
    rows = membership_event_rows(
        kind=LEFT, segment_id=segment.pk, slug=segment.slug, customer_ids=left.tolist(), at=at
    ) + membership_event_rows(
        kind=ENTERED, segment_id=segment.pk, slug=segment.slug, customer_ids=entered.tolist(), at=at
    )
    events_write_rows(rows)
