"""Reads of the events for a person (``GET /api/v1/events``): in order, after a cursor, as
far as the reader's role reaches (``visible``: every event for the roles that see every
record, the events of one's own customers for a success manager)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tenure.access import require, visible
from tenure.domain.access import Action
from tenure.events.models import Event
from tenure.events.reading import Position, events_after


def events_page(
    *,
    user: Any,
    after: Position,
    limit: int,
    kinds: Collection[str] | None = None,
    customer_id: int | None = None,
) -> tuple[list[Event], Position]:
    """Up to ``limit`` settled events the user may see after ``after``, and the position to
    read on from (where it stood if there were none)."""
    require(user, Action.VIEW)
    events = visible(user, Event)
    if customer_id is not None:
        events = events.filter(customer_id=customer_id)
    found = events_after(after, limit=limit, kinds=kinds, queryset=events)
    return found, Position.of(found[-1]) if found else after
