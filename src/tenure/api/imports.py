"""/api/v1/imports: the web's imports (the wizard's and the page's), read and reverted.

Reading an import is for whoever may see it (every job for the roles that change every record,
else one's own: its rejects quote the file); reverting is for admins, managers and the person
who imported, through the service the page and ``tenure import revert`` call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.types import RecordId
from tenure.transfer.models import ImportJob
from tenure.transfer.revert import import_revert
from tenure.transfer.selectors import import_job_get

router = Router(tags=["imports"])


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


class KeptOut(Schema):
    record: str
    reason: str


class RevertOut(Schema):
    deleted: list[str] = Field(description="records the import created, deleted")
    restored: list[str] = Field(description="records it changed, given their values before it")
    kept: list[KeptOut] = Field(description="records left as they are, each with the reason")


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
    }


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
    response={200: RevertOut, **ERROR_RESPONSES},
    summary="Revert a whole import (admins, managers, the importer); 409 while it runs. A "
    "second call changes nothing and answers the first report",
)
def import_revert_endpoint(request: HttpRequest, import_id: RecordId) -> dict[str, Any]:
    return import_revert(by=caller(request), job_id=import_id)
