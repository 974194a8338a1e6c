"""/api/v1/events: tenure's events in order, read on from a cursor (a data warehouse, a shop
following tenure); /api/v1/events/kinds: what each kind means.

The cursor is a position in the events' commit order (``tenure.events.reading``): a page never
holds an event that a transaction still running could come before, so following
``next_cursor`` page after page misses nothing and repeats nothing, even while writes commit
out of the order of their ids. A page with no events gives back the cursor it was given: ask
again later. Reading needs a role that views records; a success manager reads the events of
the customers in their book (an event of no customer, an import's, is in no one's book).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from tenure.access import require
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import QueryInput
from tenure.api.types import ID_MAX, RecordId
from tenure.domain.access import Action
from tenure.events.kinds import event_kinds
from tenure.events.reading import Position, end_position
from tenure.events.selectors import events_page

router = Router(tags=["events"])

EVENTS_LIMIT_MAX = 1000


def kinds_named(values: list[str]) -> list[str]:
    """Kinds given repeated or as comma lists, each registered (ValueError naming the rest)."""
    names = sorted({name.strip() for value in values for name in value.split(",") if name.strip()})
    known = {kind.name for kind in event_kinds()}
    unknown = [name for name in names if name not in known]
    if unknown:
        shown = ", ".join(repr(name[:60]) for name in unknown[:5])
        raise ValueError(f"no such event kind: {shown} (GET /api/v1/events/kinds lists them)")
    return names


def position_of(token: str) -> Position:
    position = Position.parse(token)
    if position.tx > ID_MAX or position.event_id > ID_MAX:
        raise ValueError("not an events cursor: give back the next_cursor of a page")
    return position


class EventQuery(QueryInput):
    after: str | None = Field(
        None,
        description="the next_cursor of the page before; none: from the first event; "
        '"now": from the end (only what is recorded from now on)',
        max_length=60,
    )
    kind: list[str] = Field(
        default_factory=list,
        description="only these kinds: repeat the parameter or give a comma list",
        max_length=100,
    )
    customer_id: RecordId | None = Field(None, description="only this customer's events")
    limit: int = Field(100, ge=1, le=EVENTS_LIMIT_MAX)

    @field_validator("after")
    @classmethod
    def _a_cursor(cls, value: str | None) -> str | None:
        if value is not None and value != "now":
            position_of(value)
        return value

    @field_validator("kind")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        return kinds_named(value)


class EventOut(Schema):
    id: int
    kind: str
    key: str = Field(description="the same key is the same event: de-duplicate by it")
    customer_id: int | None
    subject: str = Field(description="what the event is about: order, customer, ...")
    subject_id: int | None
    at: datetime = Field(description="when it took effect in the customer's history")
    recorded_at: datetime
    via: str = Field(description="the way it came: api, web, admin, import, cli, worker, ...")
    data: dict[str, Any]


class EventPage(Schema):
    events: list[EventOut]
    next_cursor: str = Field(description="give it back as ?after= for the events after these")


class EventKindOut(Schema):
    name: str
    description: str
    dated: bool = Field(description="its events' `at` is when the change took effect in the past")


@router.get(
    "/events",
    response={200: EventPage, **ERROR_RESPONSES},
    summary="Events in the order they were committed, after a cursor",
)
def events_list(request: HttpRequest, query: Query[EventQuery]) -> dict[str, Any]:
    if query.after == "now":
        start = end_position()
    else:
        start = position_of(query.after) if query.after else Position()
    found, next_position = events_page(
        user=caller(request),
        after=start,
        limit=query.limit,
        kinds=query.kind or None,
        customer_id=query.customer_id,
    )
    return {"events": found, "next_cursor": next_position.token()}


@router.get(
    "/events/kinds",
    response={200: list[EventKindOut], **ERROR_RESPONSES},
    summary="The kinds of events and what each means",
)
def event_kinds_list(request: HttpRequest) -> list[EventKindOut]:
    require(caller(request), Action.VIEW)
    return [
        EventKindOut(name=k.name, description=k.description, dated=k.dated) for k in event_kinds()
    ]
