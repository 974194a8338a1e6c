"""The background import started from the web page: a ``tenure.jobs`` run of kind
``transfer.import``, done by ``tenure worker``.

The import runs as the person who uploaded the file (their scope, their name in the history).
A worker that dies mid-import leaves the upload in place and the run is queued again once
(an import is safe to repeat: rows already stored are not stored twice). The uploaded file is
deleted once the run has ended, whatever the outcome: it holds personal data, and an ended
run is never run again.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tenure.domain.errors import Conflict
from tenure.domain.records import ImportFileError
from tenure.jobs.models import Run, RunStatus
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext, RunFailed
from tenure.transfer.batches import ImportConflict
from tenure.transfer.models import IMPORT_RUN, ImportJob, ImportKind
from tenure.transfer.rejects import RejectsFile
from tenure.transfer.revert import REVERT_RUN, import_revert
from tenure.transfer.scope import ImportNotAllowed, importer_for
from tenure.transfer.services import (
    ImportResult,
    Progress,
    RejectedRow,
    customers_import,
    orders_import,
)

REJECTS_KEPT = 100
PROGRESS_EVERY_SECONDS = 1.0


def upload_delete(path: str) -> None:
    """Delete an uploaded import file (gone already: nothing to do)."""
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def import_follow(run: Run) -> None:
    """The job's page reads its run's state; an ended run's upload is deleted."""
    ImportJob.objects.filter(run_id=run.pk).update(
        status=run.status,
        error=run.error if run.status == RunStatus.FAILED else "",
        started_at=run.started_at,
        finished_at=run.finished_at,
    )
    if run.status in (RunStatus.DONE, RunStatus.FAILED):
        # At once, not on commit: an ended run never reads it again, committed or not. The
        # wizard's uploads stay with their import record (its preview, its rejects, a revert
        # to check against); erasing a person deletes the files naming them.
        job = ImportJob.objects.filter(run_id=run.pk).values("path", "upload_id").first()
        if job is not None and job["upload_id"] is None:
            upload_delete(job["path"] or "")


def _import(
    job: ImportJob, run: RunContext, rejects: list[dict[str, Any]], out: RejectsFile | None
) -> ImportResult:
    last_write = 0.0

    def on_progress(progress: Progress) -> None:
        nonlocal last_write
        if time.monotonic() - last_write < PROGRESS_EVERY_SECONDS:
            return
        last_write = time.monotonic()
        ImportJob.objects.filter(id=job.pk).update(
            bytes_done=progress.bytes_done,
            rows_read=progress.rows_read,
            rows_stored=progress.rows_stored,
            rows_rejected=progress.rows_rejected,
        )
        run.progress(progress.bytes_done, job.bytes_total, f"{progress.rows_read:,} rows read")

    def on_reject(row: RejectedRow) -> None:
        if len(rejects) < REJECTS_KEPT:
            rejects.append({"line": row.line, "column": row.column, "reason": row.reason})
        if out is not None:
            out.write(row)

    if job.created_by is None:
        raise ImportNotAllowed("the person who uploaded the file no longer has an account")
    importer = importer_for(job.created_by, job.pk, file=job.file_name)
    with open(job.path, "rb") as source:
        if job.kind == ImportKind.CUSTOMERS:
            return customers_import(
                source=source,
                column_map=job.column_map,
                now=timezone.now(),
                on_progress=on_progress,
                on_reject=on_reject,
                importer=importer,
                ignored_columns=job.ignored_columns,
            )
        return orders_import(
            source=source,
            column_map=job.column_map,
            on_progress=on_progress,
            on_reject=on_reject,
            importer=importer,
            ignored_columns=job.ignored_columns,
        )


def import_run(run: RunContext) -> dict[str, Any]:
    """Do the import of the run's job, keeping its progress record current."""
    job = ImportJob.objects.select_related("created_by").get(run_id=run.id)
    rejects: list[dict[str, Any]] = []
    # The wizard's imports keep every rejected row as a CSV beside the upload (a run queued
    # again after a dead worker starts the file afresh, as it starts the import).
    out = RejectsFile(job) if job.upload_id is not None else None
    try:
        result = _import(job, run, rejects, out)
    except ImportNotAllowed as failure:
        raise RunFailed(f"Not imported: {failure}.") from failure
    except ImportConflict as failure:
        raise RunFailed(
            f"The import stopped at line {failure.first_line}: other imports or writers kept "
            "changing the same records at the same time. The rows before that line are stored. "
            "Uploading the file again is safe: rows already stored are not stored twice."
        ) from failure
    except ImportFileError as failure:
        raise RunFailed(f"The file cannot be imported: {failure.reason}") from failure
    except OSError as failure:
        raise RunFailed(
            f"The uploaded file cannot be read: {failure.strerror or 'it is gone'}"
        ) from failure
    finally:
        if out is not None:
            out.close()
        ImportJob.objects.filter(id=job.pk).update(
            rejects=rejects, rejects_path=out.path if out is not None else ""
        )
    ImportJob.objects.filter(id=job.pk).update(
        bytes_done=job.bytes_total,
        rows_read=result.rows_read,
        rows_stored=result.rows_stored,
        rows_rejected=result.rejected,
        rows_created=result.created,
        rows_updated=result.updated,
        rows_unchanged=result.unchanged,
    )
    return {
        "job": job.pk,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }


IMPORT_KIND = RunKind(
    name=IMPORT_RUN,
    label="import",
    function=import_run,
    retries=1,
    unexpected="The import stopped on an unexpected error (the details are in the worker's "
    "log). The rows stored before it are kept; uploading the file again is safe.",
    follow=import_follow,
)


def revert_run(context: RunContext) -> dict[str, Any]:
    """Revert the import as the person who asked (their scope; the history names them). One
    transaction: a worker that dies mid-revert leaves everything as it was, and the run is
    queued again once."""
    job_id = int(context.args["job"])
    try:
        report = import_revert(by=context.run.requested_by, job_id=job_id)
    except Conflict as conflict:
        raise RunFailed(str(conflict)) from conflict
    except (PermissionDenied, Http404) as refused:
        raise RunFailed(f"not reverted: {refused}") from refused
    return {key: len(report.get(key, [])) for key in ("deleted", "restored", "kept")}


REVERT_KIND = RunKind(
    name=REVERT_RUN,
    label="import revert",
    function=revert_run,
    retries=1,
    unexpected="The revert stopped on an unexpected error (the details are in the worker's "
    "log); nothing was changed. Ask for it again.",
)
