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
