"""The rejected rows of a wizard's import as a CSV to fix and upload again: the file's own
columns, the rows as they came, and an ``error`` column naming the column and the reason.

Every cell is formula-neutralised (``csv_safety``, as the exports are): a rejected row is often
the one holding what a spreadsheet would run. The import removes the apostrophe again, so the
corrected file imports as written.
"""

from __future__ import annotations

import csv
import os
from typing import TYPE_CHECKING

from tenure.transfer.csv_safety import cell_neutralise

if TYPE_CHECKING:
    from tenure.transfer.models import ImportJob
    from tenure.transfer.services import RejectedRow

ERROR_COLUMN = "error"


def rejects_path_of(job: ImportJob) -> str:
    return f"{job.path}.rejects.csv"


def error_text(column: str, reason: str) -> str:
    return f"{column}: {reason}" if column else reason


class RejectsFile:
    """Written while the import runs; readable by the service only, like the upload."""

    def __init__(self, job: ImportJob) -> None:
        self.path = rejects_path_of(job)
        header = list(job.upload.header) if job.upload is not None else []
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.handle = open(descriptor, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.handle)
        self.width = len(header)
        self.writer.writerow([cell_neutralise(name) for name in [*header, ERROR_COLUMN]])

    def write(self, row: RejectedRow) -> None:
        # A short row is padded, so that the error stays in its column.
        padding = [""] * max(0, self.width - len(row.cells))
        cells = [*row.cells, *padding, error_text(row.column, row.reason)]
        self.writer.writerow([cell_neutralise(cell) for cell in cells])

    def close(self) -> None:
        self.handle.close()
