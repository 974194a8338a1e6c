"""Reads: a bulk run as its author sees it, the trash as each role sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tenure.bulk.services import trash_visible
from tenure.bulk.tasks import BULK
from tenure.history.models import TrashItem
from tenure.jobs.models import Run, RunStatus
from tenure.users.models import Role, User

REFUSED_SHOWN = 200


@dataclass(frozen=True)
class BulkProgress:
    run: Run
    changed: int
    unchanged: int
    refused: list[dict[str, Any]]
    refused_count: int
    change_set_id: int | None

    @property
    def finished(self) -> bool:
        return self.run.status in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def percent(self) -> int:
        total = self.run.progress_total or 0
        if self.run.status == RunStatus.DONE:
            return 100
        return int(100 * self.run.progress_done / total) if total else 0


def bulk_progress(*, by: User, run_id: int) -> BulkProgress | None:
    """A bulk run, for the person who asked for it or an admin (None for anyone else)."""
    runs = Run.objects.filter(pk=run_id, kind=BULK)
    if by.role != Role.ADMIN:
        runs = runs.filter(requested_by=by)
    run = runs.first()
    if run is None:
        return None
    result = run.result or {}
    refused = list(result.get("refused", []))
    return BulkProgress(
        run=run,
        changed=int(result.get("changed", 0)),
        unchanged=int(result.get("unchanged", 0)),
        refused=refused[:REFUSED_SHOWN],
        refused_count=len(refused),
        change_set_id=result.get("change_set"),
    )


def trash_list(*, by: User) -> QuerySet[TrashItem]:
    """The trash ``by`` sees, newest first, with who deleted each item."""
    return trash_visible(by).select_related("deleted_by", "content_type").defer("rows")
