"""What one import keeps track of across its batches and within one: the customers it met, how
a row counts, and how it announces what it changed."""

from __future__ import annotations

from django.db import transaction

IMPORT_CAUSE = "import"
"""The cause an import announces its changes with (``TransitionCause.IMPORT`` of the lifecycle
engine, which sits above the import and cannot be imported here)."""


def count_row(counts: dict[str, int], before: object, after: object) -> None:
    """Count a row as created (nothing before it), unchanged or updated."""
    counts["created" if before is None else "unchanged" if before == after else "updated"] += 1


class KnownCustomers(dict[str, int]):
    """External id -> id of the customers one import's earlier batches stored orders for.

    Later batches skip looking them up again (a third of a 1M-order import's time). An id stays
    valid for the import: such a customer has orders, which protect it from deletion. Entries
    are added when their batch commits, so a rolled-back batch leaves none behind; past
    ``limit`` entries the cache starts over, so memory stays bounded whatever the file.
    """

    def __init__(self, limit: int = 1_000_000) -> None:
        super().__init__()
        self.limit = limit

    def remember_on_commit(self, ids: dict[str, int]) -> None:
        def remember() -> None:
            if len(self) + len(ids) > self.limit:
                self.clear()
            self.update(ids)

        transaction.on_commit(remember)
