"""Reads of playbooks: the list, one playbook's enrolments, and the counts per step the
pages and the API draw the flow with (over the customers the reader may see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from tenure.access import require, visible
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.playbooks.models import Enrollment, Playbook, StepRun
from tenure.users.models import User


def playbook_list(*, by: User | None) -> QuerySet[Playbook]:
    """Every playbook (definitions are the business's settings: every role reads them)."""
    if by is not None:
        require(by, Action.VIEW)
    return Playbook.objects.order_by("-priority", "name", "id")


def playbook_get(*, by: User | None, playbook_id: int) -> Playbook:
    found = playbook_list(by=by).filter(pk=playbook_id).first()
    if found is None:
        raise Http404(f"no playbook with id {playbook_id}")
    return found


def enrollment_list(*, by: User | None, playbook_id: int) -> QuerySet[Enrollment]:
    """A playbook's enrolments, newest first, of the customers ``by`` may see."""
    playbook_get(by=by, playbook_id=playbook_id)
    found = Enrollment.objects.filter(playbook_id=playbook_id).select_related("customer")
    if by is not None:
        found = found.filter(customer__in=visible(by, Customer).values("pk"))
    return found.order_by("-entered_at", "-id")


@dataclass(frozen=True)
class StepCount:
    """Per step: how many reached it (``entered``), were done or skipped by it, wait at it,
    left (exited or failed) at it."""

    index: int
    kind: str
    entered: int
    done: int
    skipped: int
    waiting: int
    exited: int


def step_counts(*, by: User | None, playbook: Playbook, kinds: list[str]) -> list[StepCount]:
    enrollments = enrollment_list(by=by, playbook_id=playbook.pk)
    at: dict[tuple[int, str], int] = {
        (row["step"], row["status"]): row["n"]
        for row in enrollments.order_by().values("step", "status").annotate(n=Count("id"))
    }
    runs: dict[tuple[int, str], int] = {
        (row["step"], row["status"]): row["n"]
        for row in StepRun.objects.filter(enrollment__in=enrollments.values("pk"))
        .order_by()
        .values("step", "status")
        .annotate(n=Count("id"))
    }
    counts = []
    for index, kind in enumerate(kinds):
        done, skipped = runs.get((index, "done"), 0), runs.get((index, "skipped"), 0)
        waiting = at.get((index, "active"), 0)
        exited = at.get((index, "exited"), 0) + at.get((index, "failed"), 0)
        entered = done + skipped + waiting + exited
        counts.append(StepCount(index, kind, entered, done, skipped, waiting, exited))
    return counts


def enrollment_totals(*, by: User | None, playbook: Playbook) -> dict[str, Any]:
    enrollments = enrollment_list(by=by, playbook_id=playbook.pk)
    rows = enrollments.order_by().values("status").annotate(n=Count("id"))
    totals = {"active": 0, "completed": 0, "exited": 0, "failed": 0}
    totals.update({row["status"]: row["n"] for row in rows})
    return totals
