"""The background import started from the web page, run by ``tenure worker``.

The import runs as the person who uploaded the file (their scope, their name in the history).
The uploaded file is deleted once the job has ended, whatever the outcome: it holds personal
data, and a finished job is never run again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tenure.domain.records import ImportFileError
from tenure.transfer.batches import ImportConflict
from tenure.transfer.models import ImportJob, ImportKind, ImportStatus
from tenure.transfer.scope import ImportNotAllowed, importer_for
from tenure.transfer.services import (
    ImportResult,
    Progress,
    RejectedRow,
    customers_import,
    orders_import,
)

logger = logging.getLogger(__name__)

REJECTS_KEPT = 100
PROGRESS_EVERY_SECONDS = 1.0


def _claim(job_id: int) -> bool:
    """Take the job, atomically: a second delivery of the same task finds it taken.

    A job still ``running`` after the queue's timeout was running in a worker that died (the
    queue kills a task at its timeout), so it may be taken again: the import is safe to repeat.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=int(settings.Q_CLUSTER.get("timeout", 3600)))  # type: ignore[call-overload]
    return bool(
        ImportJob.objects.filter(
            Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, started_at__lt=stale),
            id=job_id,
        ).update(status=ImportStatus.RUNNING, started_at=now, error="")
    )


def upload_delete(path: str) -> None:
    """Delete an uploaded import file (gone already: nothing to do)."""
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def import_job_run(job_id: int) -> dict[str, Any]:
    """Run a queued import job, keeping its progress record current; safe to deliver twice."""
    if not _claim(job_id):
        return {"job": job_id, "claimed": False}
    job = ImportJob.objects.get(id=job_id)
    rejects: list[dict[str, Any]] = []
    last_write = 0.0

    def on_progress(progress: Progress) -> None:
        nonlocal last_write
        if time.monotonic() - last_write < PROGRESS_EVERY_SECONDS:
            return
        last_write = time.monotonic()
        ImportJob.objects.filter(id=job_id).update(
            bytes_done=progress.bytes_done,
            rows_read=progress.rows_read,
            rows_stored=progress.rows_stored,
            rows_rejected=progress.rows_rejected,
        )

    def on_reject(row: RejectedRow) -> None:
        if len(rejects) < REJECTS_KEPT:
            rejects.append({"line": row.line, "column": row.column, "reason": row.reason})

    result: ImportResult | None = None
    error = ""
    try:
        if job.created_by is None:
            raise ImportNotAllowed("the person who uploaded the file no longer has an account")
        importer = importer_for(job.created_by, job.pk, file=job.file_name)
        with open(job.path, "rb") as source:
            if job.kind == ImportKind.CUSTOMERS:
                result = customers_import(
                    source=source,
                    column_map=job.column_map,
                    now=timezone.now(),
                    on_progress=on_progress,
                    on_reject=on_reject,
                    importer=importer,
                )
            else:
                result = orders_import(
                    source=source,
                    column_map=job.column_map,
                    on_progress=on_progress,
                    on_reject=on_reject,
                    importer=importer,
                )
    except ImportNotAllowed as failure:
        error = f"Not imported: {failure}."
    except ImportConflict as failure:
        error = (
            f"The import stopped at line {failure.first_line}: other imports or writers kept "
            "changing the same records at the same time. The rows before that line are stored. "
            "Uploading the file again is safe: rows already stored are not stored twice."
        )
    except ImportFileError as failure:
        error = f"The file cannot be imported: {failure.reason}"
    except OSError as failure:
        error = f"The uploaded file cannot be read: {failure.strerror or 'it is gone'}"
    except Exception:  # the job must end, and say why, whatever happened
        # The details (database messages with process ids, paths) go to the log, not the page.
        logger.exception("import job %s failed", job_id)
        error = (
            "The import stopped on an unexpected error (the details are in the worker's log). "
            "The rows stored before it are kept; uploading the file again is safe."
        )
    finally:
        upload_delete(job.path)
    finished = {"finished_at": timezone.now(), "rejects": rejects}
    if result is None:
        ImportJob.objects.filter(id=job_id).update(
            status=ImportStatus.FAILED, error=error, **finished
        )
        return {"job": job_id, "claimed": True, "status": ImportStatus.FAILED, "error": error}
    ImportJob.objects.filter(id=job_id).update(
        status=ImportStatus.DONE,
        bytes_done=job.bytes_total,
        rows_read=result.rows_read,
        rows_stored=result.rows_stored,
        rows_rejected=result.rejected,
        **finished,
    )
    return {
        "job": job_id,
        "claimed": True,
        "status": ImportStatus.DONE,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }
