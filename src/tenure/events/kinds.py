"""The kinds of events, by registration: each app declares the kinds it writes.

A kind says what its events mean and whether they are *dated*: a dated event's ``at`` is when
the change took effect in the customer's history (a back-dated order's ``placed_at``), which
the lifecycle engine re-evaluates from; an undated one takes effect when it is recorded.
Writing an unregistered kind is an error, so a misspelt kind fails in the first test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    name: str  # "<subject>.<what happened>", e.g. "order.placed"
    description: str
    dated: bool = False


class UnknownEventKind(LookupError):
    pass


_KINDS: dict[str, EventKind] = {}


def event_kinds_register(*kinds: EventKind) -> None:
    for kind in kinds:
        known = _KINDS.get(kind.name)
        if known is not None and known != kind:
            raise ValueError(f"event kind {kind.name!r} is registered twice, differently")
        _KINDS[kind.name] = kind


def event_kind(name: str) -> EventKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownEventKind(f"no event kind {name!r} is registered") from None


def event_kinds() -> list[EventKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)


IMPORT_COMMITTED = EventKind("import.committed", "A CSV import finished and committed its rows.")
event_kinds_register(IMPORT_COMMITTED)
