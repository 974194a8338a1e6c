"""The nightly chain's ``referrals.reward`` (62: after the points' expiry, before the
reconciliation checks the balances it changed): every referral whose first order outlived
the refund window rewards both sides, once (the ledger's keys ``referral:<id>:referrer`` /
``:referred`` and the referral's status); one whose order is gone is marked not rewarded."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

REWARD_RUN = "referrals.reward"


def reward_run(run: RunContext) -> dict[str, Any]:
    from tenure.referrals.services import rewards_pay_due

    def on_progress(done: int, total: int) -> None:
        run.progress(done, total, f"{done:,} of {total:,} referrals")

    return rewards_pay_due(now=timezone.now(), on_progress=on_progress)


def _may_start(by: Any) -> None:
    from tenure.access.records import require_change

    require_change(by)


REWARD_KIND = RunKind(
    name=REWARD_RUN,
    label="referral rewards",
    function=reward_run,
    may_start=_may_start,
    unexpected="Paying referral rewards stopped on an unexpected error (the details are in "
    "the worker's log); those paid stay paid, run it again for the rest.",
    nightly=62,
    nightly_may_fail=True,
)
