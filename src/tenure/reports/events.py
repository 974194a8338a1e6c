"""The reports app's events: a batch of agency metrics imported, a report emailed.

Ids and counts only (events carry no free text)."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import event_record

METRICS_IMPORTED = EventKind(
    "report.metrics_imported", "Agency metrics of an account were imported (created or changed)."
)
REPORT_SENT = EventKind(
    "report.emailed", "An account's results report was queued for its people by email."
)
event_kinds_register(METRICS_IMPORTED, REPORT_SENT)


def report_event(kind: EventKind, *, subject_id: int, **data: object) -> None:
    event_record(kind.name, subject="account", subject_id=subject_id, customer_id=None, data=data)
