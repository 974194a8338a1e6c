"""The playbook step "Award points", run by ``tenure.playbooks.app_steps`` (playbooks sit above
this app in the layers, so the executor is registered there; the kind, its check and what it
does live here). It earns the enrolled customer ``points`` with a ``cause`` through
``services.points_earn``, its source key the enrolment's and the step's: a step run twice,
or a worker restarted mid-run, awards once. A birthday, a survey answered, a first review: a
playbook on that trigger with this step is the bonus.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from tenure.domain.errors import Conflict
from tenure.domain.playbook_steps import Param, StepKind
from tenure.loyalty.selectors import program
from tenure.loyalty.services import MAX_POINTS, points_earn

AWARD_POINTS = StepKind(
    "award_points",
    "Award points",
    {
        "points": Param("int", required=True, minimum=1, maximum=MAX_POINTS),
        "cause": Param("text", max_length=200, default="bonus", help="shown in the history"),
    },
    "Give the customer loyalty points (a bonus: birthday, survey answered, first review), once "
    "per enrolment; they expire like earned points.",
    needs="the loyalty app",
)


def award_points_check(params: Mapping[str, Any]) -> str | None:
    """Why the step cannot run now (checked when its playbook is switched on, and before
    each run)."""
    if not program().enabled:
        return "the loyalty program is switched off (Loyalty > Settings): no points are earned"
    return None


def award_points_run(
    params: Mapping[str, Any], customer_id: int, key: str, now: datetime
) -> tuple[str, str]:
    """(status, detail) for the playbook's outcome; ``key`` names the enrolment and step."""
    problem = award_points_check(params)
    if problem is not None:
        return "failed", problem
    cause = str(params.get("cause") or "bonus")
    try:
        entry, new = points_earn(
            by=None, customer_id=customer_id, key=key, now=now, points=int(params["points"]),
            cause=cause,
        )  # fmt: skip
    except ValidationError as error:
        return "failed", "; ".join(error.messages)[:400]
    except Conflict as refused:
        return "failed", str(refused)[:400]
    return "done", f"{entry.points} points {'awarded' if new else 'awarded already'} ({cause})"
