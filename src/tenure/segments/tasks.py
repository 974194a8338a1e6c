"""Background work of segments: the nightly chain's step ``segments.refresh``, which evaluates
every segment for every customer after stages and health are recomputed (facts that change
with time alone, days since the last order, move customers in and out without any event).
Safe to run twice: a second run finds no one to move."""

from __future__ import annotations

from typing import Any

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

REFRESH_RUN = "segments.refresh"


def refresh_run(run: RunContext) -> dict[str, Any]:
    from tenure.segments.services import segments_refresh

    def on_progress(done: int, everyone: int) -> None:
        run.progress(done, everyone, f"{done:,} of {everyone:,} segments refreshed")

    result = segments_refresh(on_progress=on_progress)
    return {
        "segments": len(result.changes),
        "entered": result.entered,
        "left": result.left,
        "skipped": {str(k): v for k, v in result.skipped.items()},
    }


def _may_refresh(by: Any) -> None:
    from tenure.access.records import require_change

    require_change(by)


REFRESH_KIND = RunKind(
    name=REFRESH_RUN,
    label="segments refresh",
    function=refresh_run,
    may_start=_may_refresh,
    unexpected="Refreshing the segments stopped on an unexpected error (the details are in "
    "the worker's log); run it again.",
    nightly=40,
)
