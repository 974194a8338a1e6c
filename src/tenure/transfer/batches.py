"""Storing one batch of an import: the importer's scope checked, the rows stored, in one
transaction, tried again when a concurrent writer made the database give up on it.

Two imports of the same customers lock them in whatever order their files name them; the
database then breaks a deadlock by failing one transaction (or, at a stricter isolation, a
serialization failure). The batch is whole or not at all, and storing it again is safe (rows
are upserted by id), so the loser simply tries again, after a short random pause. Only when it
keeps losing does the import stop, saying so in words (``ImportConflict``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, transaction

from tenure.domain.records import ImportRowError, UpsertCounts
from tenure.transfer.staged import CustomersRaced

logger = logging.getLogger(__name__)

ATTEMPTS = 5
_RETRYABLE_STATES = {"40P01", "40001"}  # deadlock detected, serialization failure


class ImportConflict(Exception):
    """A batch could not be stored because other writers kept changing the same records."""

    def __init__(self, *, first_line: int, last_line: int, attempts: int) -> None:
        self.first_line, self.last_line, self.attempts = first_line, last_line, attempts
        super().__init__(
            "another import or writer was changing the same records at the same time, and the "
            f"rows of lines {first_line} to {last_line} could not be stored "
            f"({attempts} attempts). Nothing of those rows was stored; the rows before them "
            "were. Running the import again is safe: rows already stored are not stored twice."
        )


@dataclass(frozen=True, slots=True)
class BatchStored:
    counts: UpsertCounts
    refused: list[ImportRowError]  # rows the importer may not write, with line and column


def is_conflict(error: BaseException) -> bool:
    """Whether the database failed a transaction only because of a concurrent one."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in _RETRYABLE_STATES:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def batch_store(
    records: Sequence[Any],
    *,
    refuse: Callable[[Sequence[Any]], list[ImportRowError]],
    upsert: Callable[[Sequence[Any]], UpsertCounts],
    attempts: int = ATTEMPTS,
) -> BatchStored:
    """Store a batch: ``refuse`` names the rows outside the importer's scope, ``upsert`` stores
    the others; one transaction, repeated on a deadlock or serialization failure.

    Inside a caller's transaction (a test) nothing can be repeated: a conflict stops at once.
    """
    retry = not connection.in_atomic_block
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                refused = refuse(records)
                kept = records
                if refused:
                    lines = {error.line for error in refused}
                    kept = [record for record in records if record.line not in lines]
                counts = upsert(kept) if kept else UpsertCounts()
            return BatchStored(counts, refused)
        except (OperationalError, CustomersRaced) as error:
            if isinstance(error, OperationalError) and not is_conflict(error):
                raise
            if not retry or attempt == attempts:
                raise ImportConflict(
                    first_line=min((r.line for r in records), default=0),
                    last_line=max((r.line for r in records), default=0),
                    attempts=attempt,
                ) from error
            logger.warning(
                "lines %s to %s collided with another writer of the same records; "
                "storing them again (attempt %s of %s)",
                min((r.line for r in records), default=0),
                max((r.line for r in records), default=0),
                attempt + 1,
                attempts,
            )
            time.sleep(random.uniform(0.05, 0.25) * attempt)
    raise AssertionError("unreachable")
