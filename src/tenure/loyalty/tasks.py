"""Background work of the points ledger, steps of the nightly chain: ``loyalty.tiers``
reviews the tiers due a review (the period changed: the only moment a tier drops), then
``loyalty.expire``
writes one expire entry per lot remainder whose moment has come (keyed ``lot:<id>:expire``:
a second run finds nothing to do), and ``loyalty.reconcile`` checks every cached balance
against the ledger's sum and the lots' remainders, reporting each mismatch in the run's
result (it fixes nothing: a mismatch is a bug to look at, not to paper over)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

TIERS_RUN = "loyalty.tiers"
EXPIRE_RUN = "loyalty.expire"
RECONCILE_RUN = "loyalty.reconcile"
SHOWN = 100


def expire_run(run: RunContext) -> dict[str, Any]:
    from tenure.loyalty.services import lots_expire_due

    def on_progress(done: int, total: int) -> None:
        run.progress(done, total, f"{done:,} of {total:,} customers")

    return lots_expire_due(now=timezone.now(), on_progress=on_progress)


def tiers_run(run: RunContext) -> dict[str, Any]:
    from tenure.loyalty.tiers import tiers_review

    def on_progress(done: int, total: int) -> None:
        run.progress(done, total, f"{done:,} of {total:,} customers reviewed")

    return tiers_review(now=timezone.now(), on_progress=on_progress)


def reconcile_run(run: RunContext) -> dict[str, Any]:
    from tenure.loyalty.selectors import balances_reconcile

    checked, mismatches = balances_reconcile()
    return {
        "customers": checked,
        "mismatches": len(mismatches),
        "shown": [m.words() for m in mismatches[:SHOWN]],
    }


def _may_start(by: Any) -> None:
    from tenure.access.records import require_change

    require_change(by)


EXPIRE_KIND = RunKind(
    name=EXPIRE_RUN,
    label="loyalty points expiry",
    function=expire_run,
    may_start=_may_start,
    unexpected="Expiring points stopped on an unexpected error (the details are in the "
    "worker's log); the lots it expired stay expired, run it again for the rest.",
    nightly=60,
    nightly_may_fail=True,
)
RECONCILE_KIND = RunKind(
    name=RECONCILE_RUN,
    label="loyalty balances reconciliation",
    function=reconcile_run,
    may_start=_may_start,
    unexpected="The reconciliation stopped on an unexpected error (the details are in the "
    "worker's log).",
    nightly=65,
    nightly_may_fail=True,
)
TIERS_KIND = RunKind(
    name=TIERS_RUN,
    label="loyalty tier reviews",
    function=tiers_run,
    may_start=_may_start,
    unexpected="The tier reviews stopped on an unexpected error (the details are in the "
    "worker's log); the customers reviewed stay reviewed, run it again for the rest.",
    nightly=35,  # before the segments' refresh (40): the day's tiers first
    nightly_may_fail=True,
)
