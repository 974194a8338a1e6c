"""/api/v1/playbooks: playbooks (trigger, conditions, steps as JSON), their enrolments and the
counts per step. Every role reads playbooks (the business's settings) and the enrolments of
the customers it may see; admins and managers change them (a playbook reaches everyone). A
refused definition is a 422 naming each field (``steps[2].days``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.playbooks import selectors, services
from tenure.playbooks.models import Playbook

router = Router(tags=["playbooks"])


class PlaybookIn(Input):
    definition: dict[str, Any] = Field(
        ...,
        description="name, slug, enabled, priority, trigger, conditions, steps, reentry, "
        "include_imported, max_event_age_days, no_promotion_days (tenure.domain.playbooks)",
    )


class PlaybookOut(Schema):
    id: int
    name: str
    slug: str
    enabled: bool
    priority: int
    builtin: str = Field(description="the built-in playbook it started from, if any")
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class StepCountOut(Schema):
    index: int
    kind: str
    entered: int = Field(description="reached this step")
    done: int
    skipped: int
    waiting: int = Field(description="waiting at it now")
    exited: int = Field(description="left at it: conditions no longer held, or failed")


class PlaybookDetailOut(PlaybookOut):
    steps: list[StepCountOut]
    totals: dict[str, int] = Field(description="enrolments by status")


class EnrollmentOut(Schema):
    id: int
    customer_id: int
    occurrence: str
    entered_at: datetime
    status: str = Field(description="active, completed, exited or failed")
    step: int
    next_at: datetime | None
    reason: str


def _detail(request: HttpRequest, playbook: Playbook) -> dict[str, Any]:
    kinds = [str(step.get("kind", "")) for step in playbook.definition.get("steps", [])]
    by = caller(request)
    counts = selectors.step_counts(by=by, playbook=playbook, kinds=kinds)
    out = PlaybookOut.from_orm(playbook).model_dump()
    totals = selectors.enrollment_totals(by=by, playbook=playbook)
    return {**out, "steps": [c.__dict__ for c in counts], "totals": totals}


@router.get("/playbooks", response={200: Page[PlaybookOut], **ERROR_RESPONSES},
            summary="The playbooks")  # fmt: skip
def playbook_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    return paginate(selectors.playbook_list(by=caller(request)), cursor=cursor, limit=limit)


@router.post(
    "/playbooks",
    response={201: PlaybookDetailOut, **ERROR_RESPONSES},
    summary="Make a playbook (admins, managers); 422 names each field of the definition",
)
def playbook_create(request: HttpRequest, payload: PlaybookIn) -> Status:
    playbook = services.playbook_create(by=caller(request), data=payload.definition)
    return Status(201, _detail(request, playbook))


@router.get(
    "/playbooks/{playbook_id}",
    response={200: PlaybookDetailOut, **ERROR_RESPONSES},
    summary="A playbook with its counts per step (entered, done, waiting, exited)",
)
def playbook_read(request: HttpRequest, playbook_id: RecordId) -> dict[str, Any]:
    playbook = selectors.playbook_get(by=caller(request), playbook_id=playbook_id)
    return _detail(request, playbook)


@router.put(
    "/playbooks/{playbook_id}",
    response={200: PlaybookDetailOut, **ERROR_RESPONSES},
    summary="Replace a playbook's definition (admins, managers)",
)
def playbook_update(request: HttpRequest, playbook_id: RecordId, payload: PlaybookIn) -> Any:
    playbook = services.playbook_update(
        by=caller(request), playbook_id=playbook_id, data=payload.definition
    )
    return _detail(request, playbook)


@router.post(
    "/playbooks/{playbook_id}/enable",
    response={200: PlaybookDetailOut, **ERROR_RESPONSES},
    summary="Switch a playbook on (422 when a step has nothing to run it)",
)
def playbook_enable(request: HttpRequest, playbook_id: RecordId) -> Any:
    playbook = services.playbook_enable(by=caller(request), playbook_id=playbook_id)
    return _detail(request, playbook)


@router.post(
    "/playbooks/{playbook_id}/disable",
    response={200: PlaybookDetailOut, **ERROR_RESPONSES},
    summary="Switch a playbook off: nobody more is enrolled, due steps wait",
)
def playbook_disable(request: HttpRequest, playbook_id: RecordId) -> Any:
    playbook = services.playbook_disable(by=caller(request), playbook_id=playbook_id)
    return _detail(request, playbook)


@router.get(
    "/playbooks/{playbook_id}/enrollments",
    response={200: Page[EnrollmentOut], **ERROR_RESPONSES},
    summary="A playbook's enrolments, of the customers you may see",
)
def playbook_enrollments(
    request: HttpRequest,
    playbook_id: RecordId,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = selectors.enrollment_list(by=caller(request), playbook_id=playbook_id)
    return paginate(found, cursor=cursor, limit=limit)
