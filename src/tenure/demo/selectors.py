"""Reads for the demo: whether the empty installation's offer to load it stands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenure.access import may
from tenure.customers.models import Customer
from tenure.demo.tasks import DEMO_LOAD_RUN
from tenure.domain.access import Action
from tenure.jobs.models import UNFINISHED, Run


@dataclass(frozen=True)
class DemoOffer:
    offered: bool  # the user may load it now
    loading: bool  # a load is queued or running


def demo_offer(*, user: Any) -> DemoOffer:
    """An admin of a database with no customer is offered the demo business."""
    loading = Run.objects.filter(kind=DEMO_LOAD_RUN, status__in=UNFINISHED).exists()
    empty = not Customer.objects.exists()
    return DemoOffer(may(user, Action.ADMINISTER) and empty and not loading, loading and empty)
