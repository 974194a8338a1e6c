"""Enrolling customers in a playbook: the conditions checked, the re-entry policy applied, and
one row per (playbook, customer, occurrence) claimed by the database's unique constraint
(``INSERT ... ON CONFLICT DO NOTHING``): a trigger delivered twice, or two workers at once,
enrol once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from tenure.domain.facts import is_attribute
from tenure.domain.playbooks import PlaybookDefinition, conditions_hold
from tenure.playbooks.models import Enrollment, Playbook


@dataclass(frozen=True)
class Candidate:
    """A customer a trigger fired for: the occurrence it fired for (the event, the year of
    the birthday), when the first step is due, and what fired it."""

    customer_id: int
    natural: str
    start: datetime
    event_id: int | None = None
    subject_id: int | None = None
    subject: str = ""


def holding(definition: PlaybookDefinition, customer_ids: Iterable[int], now: datetime) -> set[int]:
    """The customers for whom the playbook's conditions hold now (all without conditions)."""
    ids = sorted(set(customer_ids))
    if definition.condition is None or not ids:
        return set(ids)
    from tenure.lifecycle.facts import facts_frame

    kinds = {
        name: "number" if spec.kind != "category" else "category"
        for name, spec in definition.facts.items()
        if is_attribute(name)
    }
    frame = facts_frame(
        customer_ids=np.array(ids, dtype=np.int64), now=now, needed=set(definition.facts),
        kinds=kinds,
    )  # fmt: skip
    if frame.empty:
        return set()
    holds = conditions_hold(definition, {name: frame[name] for name in frame}, len(frame))
    return {int(pk) for pk in frame.index[holds]}


def enrol(
    playbook: Playbook,
    definition: PlaybookDefinition,
    candidates: Sequence[Candidate],
    now: datetime,
) -> int:
    """Enrol the candidates for whom the conditions hold, once per occurrence; how many were
    enrolled now (those enrolled before are left as they are)."""
    if not candidates:
        return 0
    reentry = definition.reentry
    first: dict[tuple[int, str], Candidate] = {}
    for candidate in candidates:
        occurrence = reentry.occurrence(candidate.natural, candidate.start)[:100]
        first.setdefault((candidate.customer_id, occurrence), candidate)
    allowed = holding(definition, {c.customer_id for c in first.values()}, now)
    if reentry.policy == "once_per_days":
        recent = Enrollment.objects.filter(
            playbook=playbook,
            customer_id__in=sorted(allowed),
            entered_at__gt=now - timedelta(days=reentry.days),
        ).values_list("customer_id", flat=True)
        allowed -= set(recent)
    rows = [
        Enrollment(
            playbook=playbook,
            customer_id=customer_id,
            occurrence=occurrence,
            entered_at=now,
            step_started_at=candidate.start,
            next_at=candidate.start,
            event_id=candidate.event_id,
            subject=candidate.subject[:40],
            subject_id=candidate.subject_id,
        )
        for (customer_id, occurrence), candidate in first.items()
        if customer_id in allowed
    ]
    if not rows:
        return 0
    before = Enrollment.objects.filter(playbook=playbook).count()
    Enrollment.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Enrollment.objects.filter(playbook=playbook).count() - before
