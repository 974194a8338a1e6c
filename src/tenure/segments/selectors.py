"""Reads of segments, under ``visible``: the segments a user sees, their members among the
customers the user sees, and a preview of a definition not saved yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from tenure.access import sees_all, visible
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Customer
from tenure.segments.evaluation import segments_evaluate
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import definition_validated
from tenure.users.models import User

PREVIEW_SAMPLE = 10


def segment_list(*, user: User | None) -> QuerySet[Segment]:
    segments = Segment.objects.all() if user is None else visible(user, Segment)
    return segments.select_related("owner").order_by("name", "id")


def segment_members(*, user: User | None, segment: Segment) -> QuerySet[Customer]:
    """The segment's members now, among the customers ``user`` sees."""
    customers = Customer.objects.all() if user is None else visible(user, Customer)
    inside = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return customers.filter(pk__in=inside.values("customer_id"))


def segment_chosen(*, user: User | None, ref: str | int, field: str = "segment") -> Segment:
    """The segment ``ref`` (its id, or its slug) names among those ``user`` may see (shared or
    their own; every one for the roles that see all), for an analytics page or endpoint to
    narrow its figures to. ``InvalidInputError`` on ``field`` otherwise: one that does not
    exist and one the user may not see get the same words, so neither is revealed."""
    segments = segment_list(user=user)
    text = str(ref).strip()
    found = None
    if text.isascii() and text.isdigit() and len(text) <= 18:
        found = segments.filter(pk=int(text)).first()
    elif text:
        found = segments.filter(slug=text).first()
    if found is None:
        raise InvalidInputError(field, f"no segment {text[:120]!r} that you may see")
    return found


def segment_member_ids(segment: Segment) -> QuerySet[Any, Any]:
    """The segment's members now (its open stays) as a subquery of customer ids, for the
    analytics' selectors' ``within``; they intersect it with the user's own book."""
    stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return stays.values("customer_id")


def segment_within(
    *, user: User | None, ref: str | int | None, field: str = "segment"
) -> QuerySet[Any, Any] | None:
    """What an analytics page or endpoint passes its selectors as ``within``: the members now
    of the segment ``ref`` names (``segment_chosen``), or None when none is asked for."""
    if ref is None or ref == "":
        return None
    return segment_member_ids(segment_chosen(user=user, ref=ref, field=field))


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Customer]
    evaluated: int


def segment_preview(
    *, user: User | None, definition: Any, sample: int = PREVIEW_SAMPLE, now: datetime | None = None
) -> Preview:
    """How many of the customers ``user`` sees meet ``definition`` now, and the first few of
    them (by id); nothing is stored. Raises ``ValidationError`` on ``definition``."""
    compiled = definition_validated(definition)
    customers = Customer.objects.all() if user is None else visible(user, Customer)
    ids = None
    if user is not None and not sees_all(user):  # a role that sees its own book only
        ids = np.fromiter(customers.values_list("pk", flat=True).iterator(), dtype=np.int64)
    evaluated = segments_evaluate({0: compiled}, now=now or timezone.now(), customer_ids=ids)
    members = evaluated.members(0)
    first = members[:sample].tolist()
    found = {c.pk: c for c in Customer.objects.filter(pk__in=first)}
    return Preview(
        count=int(members.size),
        sample=[found[pk] for pk in first if pk in found],
        evaluated=int(evaluated.ids.size),
    )
