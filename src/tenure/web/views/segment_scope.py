"""``?segment=<id or slug>``: the analytics pages' figures for one segment's members now.

Every analytics page (Analytics, Lifecycle's funnel, a stage's customers, at risk, the churn
audit and its CSV) reads the choice here and passes its members to the selectors as ``within``,
which intersect them with the user's own book. The select box lists the segments the user may
see; a segment they may not see, or none by that name, is a 404 naming the field, never the
whole base's figures under a segment's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from tenure.analytics.errors import InvalidInputError
from tenure.segments.models import Segment
from tenure.segments.selectors import segment_chosen, segment_list, segment_member_ids
from tenure.users.models import User

FIELD = "segment"


@dataclass(frozen=True)
class SegmentScope:
    """The segments for the select box, the one chosen (None: every customer the user sees)
    and its members as the selectors' ``within``."""

    segments: list[Segment] = field(default_factory=list)
    chosen: Segment | None = None
    within: QuerySet[Any, Any] | None = None

    @property
    def query(self) -> str:
        """``?segment=<id>`` for links that keep the choice ("" without one)."""
        return "?" + urlencode({FIELD: self.chosen.pk}) if self.chosen else ""

    @property
    def and_query(self) -> str:
        """``&segment=<id>`` for links that have a query string already."""
        return "&" + urlencode({FIELD: self.chosen.pk}) if self.chosen else ""


class SegmentRefused(Exception):
    def __init__(self, error: InvalidInputError) -> None:
        super().__init__(error.reason)
        self.error = error


def segment_scope(request: HttpRequest, user: User) -> SegmentScope:
    """The page's segment from its query string; ``SegmentRefused`` for one the user may not
    see (``segment_refused`` answers it)."""
    segments = list(segment_list(user=user).select_related(None).only("pk", "name", "slug"))
    ref = request.GET.get(FIELD, "").strip()
    if not ref:
        return SegmentScope(segments=segments)
    try:
        chosen = segment_chosen(user=user, ref=ref, field=FIELD)
    except InvalidInputError as error:
        raise SegmentRefused(error) from None
    return SegmentScope(segments=segments, chosen=chosen, within=segment_member_ids(chosen))


def segment_refused(request: HttpRequest, refused: SegmentRefused) -> HttpResponse:
    """A 404 that names the field and says why, with a way back to the whole book."""
    context = {
        "field": refused.error.name,
        "reason": refused.error.reason,
        "back": request.path,
    }
    return render(request, "web/_segment_refused.html", context, status=404)
