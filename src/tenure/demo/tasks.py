"""The demo business loaded in the background: the web's empty state offers it to an admin of
an installation with no customer yet (``tenure demo`` does the same at the prompt)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tenure.access import AccessDenied, require
from tenure.customers.models import Customer
from tenure.demo.services import DemoConflictError, demo_load
from tenure.domain.access import Action
from tenure.events.consumers import consumers_drain
from tenure.insights.selectors import latest_fit
from tenure.insights.services import clv_fit
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext, RunFailed

DEMO_LOAD_RUN = "demo.load"


def demo_load_require(by: Any) -> None:
    """Admins load the demo, and only into a database without customers: it is a first look,
    never mixed into a business's own records."""
    require(by, Action.ADMINISTER)
    if Customer.objects.exists():
        raise AccessDenied("the demo business loads only into a database with no customers")


def demo_load_run(context: RunContext) -> dict[str, Any]:
    """Load the demo business, fit the models once and follow its events, as ``tenure demo``
    does, so that every page is full when the run ends."""
    try:
        result = demo_load(today=timezone.now().date())
    except DemoConflictError as conflict:
        raise RunFailed(conflict.reason) from conflict
    context.beat()
    if latest_fit() is None:
        clv_fit()
    context.beat()
    handled = sum(consumers_drain().values())
    return {"created": result.created, "events": handled, **result.counts}


DEMO_LOAD_KIND = RunKind(
    name=DEMO_LOAD_RUN,
    label="demo business load",
    function=demo_load_run,
    may_start=demo_load_require,
    unexpected="Loading the demo business stopped on an unexpected error (the details are in "
    "the worker's log).",
)
