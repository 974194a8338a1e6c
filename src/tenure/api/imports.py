"""/api/v1/imports: the web's imports (the wizard's and the page's), read and reverted.

Reading an import is for whoever may see it (every job for the roles that change every record,
else one's own: its rejects quote the file); reverting is for admins, managers and the person
who imported. A revert of thousands of records takes a minute, longer than a request may: the
API asks for it as a background run, as the page does (202), and the import's ``revert`` says
where it stands; once done, asking again answers the report (200). ``tenure import revert``
runs it in the command, which waits."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.types import RecordId
from tenure.domain.errors import Conflict
from tenure.transfer.models import ImportJob
from tenure.transfer.revert import import_revert_start, import_revert_state
from tenure.transfer.selectors import import_job_get

router = Router(tags=["imports"])


class KeptOut(Schema):
    record: str
    reason: str


class RevertOut(Schema):
    deleted: list[str] = Field(description="records the import created, deleted")
    restored: list[str] = Field(description="records it changed, given their values before it")
    kept: list[KeptOut] = Field(description="records left as they are, each with the reason")


class RevertStateOut(Schema):
    state: str = Field(description="queued, running, done or failed (nothing changed)")
    run_id: int | None = Field(description="the background run, while queued or running")
    report: RevertOut | None = Field(description="what it did, once done")
    error: str = Field(description="why it failed, in words")


class ImportOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    rows_read: int
    created: int = Field(description="records created (rows of the wizard's imports)")
    updated: int
    unchanged: int
    rejected: int
    created_at: datetime
    finished_at: datetime | None
    reverted_at: datetime | None
    revert: RevertStateOut | None = Field(description="null: nobody asked for a revert")


def _out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "status": job.status,
        "rows_read": job.rows_read,
        "created": job.rows_created,
        "updated": job.rows_updated,
        "unchanged": job.rows_unchanged,
        "rejected": job.rows_rejected,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "reverted_at": job.reverted_at,
        "revert": _state(job),
    }


def _state(job: ImportJob) -> dict[str, Any] | None:
    state = import_revert_state(job=job)
    return None if state is None else asdict(state)


@router.get(
    "/imports/{import_id}",
    response={200: ImportOut, **ERROR_RESPONSES},
    summary="An import: its status and counts",
)
def import_read(request: HttpRequest, import_id: RecordId) -> dict[str, Any]:
    try:
        return _out(import_job_get(user=caller(request), job_id=import_id))
    except ImportJob.DoesNotExist as error:
        raise Http404("no such import") from error


@router.post(
    "/imports/{import_id}/revert",
    response={200: RevertStateOut, 202: RevertStateOut, **ERROR_RESPONSES},
    summary="Revert a whole import (admins, managers, the importer) in the background: 202 "
    "with its run (the one asked already, if any); 200 with the report once it is done; 409 "
    "while the import runs",
)
def import_revert_endpoint(request: HttpRequest, import_id: RecordId) -> Status:
    by = caller(request)
    try:
        import_revert_start(by=by, job_id=import_id)
    except Conflict:
        job = ImportJob.objects.get(pk=import_id)  # seen and allowed: checked before
        if job.reverted_at is None:
            raise
        return Status(200, _state(job))  # twice is once: the first outcome stands
    return Status(202, _state(ImportJob.objects.get(pk=import_id)))
