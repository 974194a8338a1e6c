"""The nightly work as one chain: each registered step (``RunKind.nightly``: the model refit,
then the lifecycle recompute, then health, then what later capabilities add) is a run of its
own, started only once the step before it has ended; a failed step stops the chain, which fails
with that step's reason, unless the steps after it do not need it (``nightly_may_fail``: the
chain goes on and reports the failure in its result). A chain whose worker died is queued again
once and goes on from the first step not done."""

from __future__ import annotations

from typing import Any

from tenure.jobs.models import Run, RunStatus
from tenure.jobs.registry import RunKind, nightly_kinds, run_kind
from tenure.jobs.runner import RunContext, RunFailed, run_execute

NIGHTLY = "jobs.nightly"


def nightly_steps() -> list[str]:
    """The kinds the nightly chain runs, in order."""
    return [kind.name for kind in nightly_kinds()]


def chain_run(run: RunContext) -> dict[str, Any]:
    """Do the chain's steps (``args["steps"]``, fixed when it was asked for) one after another."""
    steps: list[str] = list(run.args.get("steps", []))
    done_before = set(
        Run.objects.filter(parent_id=run.id, status=RunStatus.DONE).values_list("kind", flat=True)
    )
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for index, name in enumerate(steps):
        kind = run_kind(name)
        run.progress(index, len(steps), kind.label)
        if name in done_before:
            continue  # a chain taken again after its worker died
        step = Run.objects.create(kind=name, parent_id=run.id)
        run_execute(step.pk)
        step.refresh_from_db()
        if step.status == RunStatus.DONE:
            results[name] = step.result
        elif kind.nightly_may_fail:
            failed[name] = step.error
        else:
            raise RunFailed(
                f"Stopped at step {index + 1} of {len(steps)}, the {kind.label}: {step.error}"
            )
    run.progress(len(steps), len(steps), "done")
    return {"steps": results, "failed": failed}


NIGHTLY_KIND = RunKind(
    name=NIGHTLY,
    label="nightly work",
    function=chain_run,
    retries=1,
    unexpected="The nightly work stopped on an unexpected error (the details are in the "
    "worker's log).",
)
