"""Reads: a bulk run as its author sees it, the trash as each role sees it, and the chosen
accounts and orders as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from tenure.access import visible
from tenure.bulk.tasks import BULK
from tenure.bulk.undo import trash_visible
from tenure.customers.filters import AccountFilterSet
from tenure.customers.models import Account
from tenure.history.models import TrashItem
from tenure.jobs.models import Run, RunStatus
from tenure.orders.filters import OrderFilterSet
from tenure.orders.models import Order
from tenure.transfer.services import CsvExport, orders_export_csv
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
    def noun(self) -> str:
        """What the run changes, one of them: customer, account, task or order."""
        nouns = {"bulk.accounts": "account", "bulk.tasks": "task", "bulk.orders": "order"}
        return nouns.get(self.run.kind, "customer")

    @property
    def percent(self) -> int:
        total = self.run.progress_total or 0
        if self.run.status == RunStatus.DONE:
            return 100
        return int(100 * self.run.progress_done / total) if total else 0


def bulk_progress(*, by: User, run_id: int, kind: str = BULK) -> BulkProgress | None:
    """A bulk run of ``kind`` (customers, ``BULK_ACCOUNTS``, ``BULK_TASKS`` or
    ``BULK_ORDERS``), for the person who asked for it or an admin (None for anyone else)."""
    runs = Run.objects.filter(pk=run_id, kind=kind)
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


ACCOUNT_EXPORT_COLUMNS = ("id", "name", "industry", "size_band", "budget_band", "website",
                          "owner", "created_at")  # fmt: skip


def accounts_export_csv(*, by: User, filters: Any, ids: list[int] | None) -> CsvExport:
    """The accounts list's chosen rows (``ids``, else every row of ``filters``) as CSV, through
    the exports' formula-neutralising writer; only accounts ``by`` may see. ``InvalidFilters``
    for a bad filter."""
    chosen: QuerySet[Account] = AccountFilterSet.of(by, filters).filtered()
    chosen = visible(by, chosen).select_related("owner").order_by("pk")
    if ids is not None:
        chosen = chosen.filter(pk__in=ids)
    tz = timezone.get_default_timezone()

    def rows() -> Any:
        for account in chosen.iterator(chunk_size=2000):
            yield [
                str(account.pk), account.name, account.industry, account.size_band,
                account.budget_band, account.website,
                account.owner.username if account.owner else "",
                account.created_at.astimezone(tz).isoformat() if account.created_at else "",
            ]  # fmt: skip

    return CsvExport(ACCOUNT_EXPORT_COLUMNS, rows())


def orders_export_chosen(*, by: User, filters: Any, ids: list[int] | None) -> CsvExport:
    """The orders list's chosen rows (``ids``, else every row of ``filters``) as CSV, in the
    import's columns through the orders export (formula-neutralised); only orders ``by`` may
    see. ``InvalidFilters`` for a bad filter."""
    chosen: QuerySet[Order] = OrderFilterSet.of(by, filters).filtered()
    if ids is not None:
        chosen = chosen.filter(pk__in=ids)
    return orders_export_csv(by=by, orders=chosen)
