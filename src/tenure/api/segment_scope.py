"""``in_segment``: the analytics endpoints' figures for one segment's members now.

The same name and value as the lists' filter (a segment's id), the same reading: the segment's
open stays, among the customers the caller sees. A segment the caller may not see, or none by
that id, is a 422 on ``in_segment`` (the same words for both, so neither is revealed).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query

from tenure.api.auth import caller
from tenure.api.types import ID_MAX
from tenure.segments.selectors import segment_within

FIELD = "in_segment"


def in_segment_query() -> Any:
    """The query parameter, declared once for every analytics endpoint."""
    return Query(
        None,
        ge=1,
        le=ID_MAX,
        description="only the members of this segment (its id) now, among the customers you "
        "see, as the lists' in_segment",
    )


def within(request: HttpRequest, in_segment: int | None) -> QuerySet[Any, Any] | None:
    """The selectors' ``within`` for ``in_segment`` (None: every customer the caller sees)."""
    return segment_within(user=caller(request), ref=in_segment, field=FIELD)
