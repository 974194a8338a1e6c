"""What the worker runs for playbooks: the due steps (a follower the worker repeats, and a
job every minute for the schedule's sake), and the daily triggers (a step of the nightly
chain). Each is safe to run twice: enrolments and steps are claimed by unique keys."""

from __future__ import annotations

from typing import Any

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.triggers import daily_triggers


def steps_follow() -> int:
    """The worker's follower: one batch of due steps; how many enrolments it handled."""
    return enrollments_advance()


def steps_due() -> dict[str, int]:
    """Every minute: the due steps, batch after batch, until none is left (or 100 batches)."""
    handled = 0
    for _ in range(100):
        done = enrollments_advance()
        if not done:
            break
        handled += done
    return {"enrollments": handled}


def _daily(run: RunContext) -> dict[str, Any]:
    return daily_triggers()


DAILY_KIND = RunKind(
    name="playbooks.daily",
    label="playbooks' daily triggers (special days, inactivity)",
    function=_daily,
    nightly=50,  # after the segments' refresh (40): the day's facts first
    nightly_may_fail=True,
)
