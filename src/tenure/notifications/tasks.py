"""What the worker runs for notifications: the daily digest, a step of the nightly chain
(after the health scores (30) and the playbooks (50), so the day's red and renewals are in it).
Safe to run twice: each person's digest of the day is claimed by a unique row."""

from __future__ import annotations

from typing import Any

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

DIGEST_RUN = "notifications.digest"


def _run(run: RunContext) -> dict[str, Any]:
    from tenure.notifications.services import digests_send

    result = digests_send()
    return {"sent": result.sent, "skipped": result.skipped}


DIGEST_KIND = RunKind(
    name=DIGEST_RUN,
    label="the daily digest of unread notifications",
    function=_run,
    nightly=90,
    nightly_may_fail=True,  # nothing after it needs it
)
