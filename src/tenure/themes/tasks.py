"""The themes run as a ``tenure.jobs`` run kind: asked for by "Find themes now" (admins and
managers), ``POST /api/v1/themes/run`` and ``tenure themes run``, and the last step of the
nightly chain (after the digest: nothing after it needs it, and a failure stops nothing).

Safe to deliver twice: the run is claimed once (``tenure.jobs.runner``), and a second run
matches the themes the first stored and rewrites the same assignments.
"""

from __future__ import annotations

from typing import Any

from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext

THEMES_RUN = "themes.find"
STEPS = 3  # read, find, store


def themes_run(run: RunContext) -> dict[str, Any]:
    from tenure.themes.finding import themes_refresh

    def on_progress(step: int, note: str) -> None:
        run.progress(step, STEPS, note)

    seed = run.args.get("seed", 0)
    result = themes_refresh(run=run.run, seed=seed if isinstance(seed, int) else 0,
                            on_progress=on_progress)  # fmt: skip
    run.progress(STEPS, STEPS, "done")
    return result.as_dict()


def _may_run(by: Any) -> None:
    from tenure.themes.services import curate_require

    curate_require(by)


THEMES_KIND = RunKind(
    name=THEMES_RUN,
    label="themes of what customers wrote",
    function=themes_run,
    may_start=_may_run,
    unexpected="Finding the themes stopped on an unexpected error (the details are in the "
    "worker's log); run it again.",
    nightly=95,
    nightly_may_fail=True,  # the last step: nothing after it needs it
)
