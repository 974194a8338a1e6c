"""Uploaded import files that name an erased person are deleted with the person.

An upload waits for the worker (and is deleted once its import ends, ``tasks``); one that names
a person being erased must not outlive them, nor bring them back when imported. Called by
``tenure.privacy.person_erase`` through the ``PERSON_ERASE_HOOKS`` setting: privacy and
transfer are independent apps (``pyproject.toml``'s layers), so neither imports the other.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path

from tenure.jobs.services import run_fail
from tenure.transfer.models import ImportJob, ImportUpload
from tenure.transfer.tasks import upload_delete

ERASED_UPLOAD = (
    "The uploaded file was deleted before it was imported: a person named in it was erased. "
    "Nothing of it was imported."
)


def _names_any(path: Path, identifiers: Collection[str]) -> bool:
    """Whether any cell of the CSV file equals one of ``identifiers`` (case-blind: emails)."""
    wanted = {identifier.casefold() for identifier in identifiers}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        try:
            for row in csv.reader(line.replace("\0", "") for line in handle):
                if any(cell.strip().casefold() in wanted for cell in row):
                    return True
        except csv.Error:  # not CSV past some line: look for the text anywhere
            handle.seek(0)
            text = handle.read().casefold()
            return any(identifier in text for identifier in wanted)
    return False


def uploads_of_person_delete(*, identifiers: Collection[str]) -> dict[str, int]:
    """Delete the uploads still kept that name one of ``identifiers`` (a person's external id
    and email), ending their jobs with words; returns ``{"import_uploads": count}``."""
    identifiers = [identifier for identifier in identifiers if identifier]
    deleted = 0
    if not identifiers:
        return {"import_uploads": 0}
    for job in ImportJob.objects.exclude(path=""):
        path = Path(job.path)
        if not path.is_file() or not _names_any(path, identifiers):
            continue
        upload_delete(job.path)
        upload_delete(job.rejects_path)  # its rejected rows quote the same file
        deleted += 1
        run_fail(run_id=job.run_id, error=ERASED_UPLOAD)
    # The wizard's uploads not imported (yet), kept with their mapping.
    for upload in ImportUpload.objects.filter(job__isnull=True).exclude(path=""):
        path = Path(upload.path)
        if path.is_file() and _names_any(path, identifiers):
            upload_delete(upload.path)
            deleted += 1
    return {"import_uploads": deleted}
