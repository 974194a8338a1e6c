"""The themes app's events: a person curated a theme, or a run stored the themes it found.

Ids and field names only (events carry no free text); a theme is no customer's.
"""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import event_record

RENAMED = EventKind("theme.renamed", "A person renamed a theme.")
MERGED = EventKind("theme.merged", "A theme was merged into another (its answers moved).")
TAGGED = EventKind("theme.tagged", "A tag was put on a theme.")
UNTAGGED = EventKind("theme.untagged", "A tag was taken off a theme.")
HIDDEN = EventKind("theme.hidden", "A theme was hidden from the lists.")
SHOWN = EventKind("theme.shown", "A hidden theme was shown again.")
FOUND = EventKind("themes.found", "A run found the themes of the texts and stored them.")
event_kinds_register(RENAMED, MERGED, TAGGED, UNTAGGED, HIDDEN, SHOWN, FOUND)


def theme_event(kind: EventKind, *, theme_id: int | None, **data: object) -> None:
    event_record(
        kind.name,
        subject="theme" if theme_id is not None else "themes",
        subject_id=theme_id,
        customer_id=None,
        data=data,
    )
