"""What the worker runs for email beyond the sender: the broadcasts' step (start the due ones,
expire a paused one's held mail past its valid-until, finish the sent ones), as a follower of
the worker's loop, a recurring job every minute and a run kind. Safe to run twice: a broadcast
starts once (locked, then ``sending``) and its messages are claimed by their keys."""

from __future__ import annotations

from typing import Any

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

BROADCASTS_RUN = "mail.broadcasts"


def broadcasts_follow() -> int:
    """The worker's follower: one pass; how much it did."""
    from tenure.mail.broadcasts import broadcasts_advance

    return broadcasts_advance().handled


def broadcasts_due() -> dict[str, Any]:
    """Every minute (for a worker whose followers are off, and the schedule's record)."""
    from tenure.mail.broadcasts import broadcasts_advance

    result = broadcasts_advance()
    return {"started": result.started, "done": result.done, "expired": result.expired}


def _run(run: RunContext) -> dict[str, Any]:
    return broadcasts_due()


def _may_start(by: Any) -> None:
    from tenure.access import require_all
    from tenure.domain.access import Action
    from tenure.mail.broadcasts import BROADCASTS_WHY

    require_all(by, Action.CHANGE, why=BROADCASTS_WHY)


BROADCASTS_KIND = RunKind(
    name=BROADCASTS_RUN,
    label="broadcasts: start the due ones, finish the sent ones",
    function=_run,
    may_start=_may_start,
)
