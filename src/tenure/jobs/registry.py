"""The kinds of background run, registered by the apps that do the work (in their
``AppConfig.ready``): this app runs them and never imports those apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenure.jobs.models import Run
    from tenure.jobs.runner import RunContext


def anyone(by: Any) -> None:
    """``may_start`` of a kind whose service checks the person itself."""


@dataclass(frozen=True)
class RunKind:
    """``function(run)`` does the work and returns the run's result (a JSON-able dict); it
    raises ``RunFailed`` with words for a failure it understands. ``may_start(by)`` raises
    (``AccessDenied``) when that person may not start it (``by=None``, the operator or the
    schedule, always may). A run whose worker died is queued again up to ``retries`` times,
    then failed. ``unexpected`` is what the person reads when the function raised something
    else (the traceback goes to the worker's log). ``follow(run)``, if given, copies the run's
    state onto the app's own record of it (an import's progress page, a recompute's figures),
    in the same transaction as every change of the run's status. ``nightly``: the kind's place
    in the nightly chain (lower first), None when it is not part of it; ``nightly_may_fail``:
    the steps after it do not need it (a model fit that fails for want of repeat purchases
    leaves stages and health to be recomputed on the predictions stored before), so the chain
    goes on past its failure, which it reports."""

    name: str
    label: str
    function: Callable[[RunContext], dict[str, Any] | None]
    may_start: Callable[[Any], None] = anyone
    retries: int = 0
    unexpected: str = "It stopped on an unexpected error (the details are in the worker's log)."
    follow: Callable[[Run], None] | None = None
    nightly: int | None = None
    nightly_may_fail: bool = False


_KINDS: dict[str, RunKind] = {}


class UnknownRunKind(LookupError):
    pass


def run_kind_register(kind: RunKind) -> None:
    """Add a kind; registering the same name twice with another definition is a mistake."""
    if not kind.name or len(kind.name) > 60:
        raise ValueError(f"a run kind's name has 1 to 60 characters: {kind.name!r}")
    if kind.retries < 0:
        raise ValueError(f"run kind {kind.name!r}: retries must be 0 or more")
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"run kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind


def run_kind(name: str) -> RunKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownRunKind(f"no run kind {name!r} is registered") from None


def nightly_kinds() -> list[RunKind]:
    """The nightly chain's steps, in their order."""
    steps = [kind for kind in _KINDS.values() if kind.nightly is not None]
    return sorted(steps, key=lambda kind: (kind.nightly, kind.name))
