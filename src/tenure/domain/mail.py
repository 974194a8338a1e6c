"""PURE rules of sending email: the frequency cap, quiet hours, and which due messages go.

Time is a parameter everywhere (``now``); datetimes are timezone-aware. Quiet hours are read on
the customer's own wall clock (``zoneinfo``): the local end of the quiet hours is built as a
wall time and converted, so a night that loses or gains an hour (Europe/Berlin, 2025-03-30 and
2025-10-26) still ends at the wall-clock hour it says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_CAP = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_HOURS = re.compile(r"^\s*(\d{1,2}):?(\d{2})?\s*-\s*(\d{1,2}):?(\d{2})?\s*$")


@dataclass(frozen=True)
class Cap:
    """At most ``count`` marketing messages per customer in any ``window``."""

    count: int
    window: timedelta


def cap_parse(text: str) -> Cap:
    """``"3/7d"`` -> 3 per 7 days; ``h`` hours, ``m`` minutes. ValueError in words otherwise."""
    match = _CAP.match(text)
    if not match:
        raise ValueError(f"a frequency cap reads like 3/7d (3 in 7 days), not {text!r}")
    count, length, unit = int(match[1]), int(match[2]), match[3]
    if length <= 0:
        raise ValueError("a frequency cap's window must be longer than nothing")
    return Cap(count=count, window=length * _UNITS[unit])


@dataclass(frozen=True)
class QuietHours:
    """Local wall-clock hours in which no marketing message is sent; ``start`` may be after
    ``end`` (21:00-08:00 spans midnight). Equal start and end: no quiet hours."""

    start: time
    end: time


def quiet_hours_parse(text: str) -> QuietHours | None:
    """``"21-8"`` or ``"21:00-08:00"``; empty: none."""
    if not text.strip():
        return None
    match = _HOURS.match(text)
    if not match:
        raise ValueError(f"quiet hours read like 21:00-08:00, not {text!r}")
    start = time(int(match[1]), int(match[2] or 0))
    end = time(int(match[3]), int(match[4] or 0))
    return None if start == end else QuietHours(start, end)


def _wall(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day``'s local date, in UTC. A wall time that does not exist (in a spring
    gap) is read with the offset before the gap, which lands after it, as a clock would."""
    return datetime.combine(day.date(), at, tzinfo=zone).astimezone(UTC)


def quiet_until(now: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None when ``now`` is not in them."""
    if quiet is None:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= clock < quiet.end
        end_day = local
    else:  # spans midnight
        inside = clock >= quiet.start or clock < quiet.end
        end_day = local + timedelta(days=1) if clock >= quiet.start else local
    if not inside:
        return None
    # The next day by the calendar, not by 24 hours, so a 23- or 25-hour day is no matter.
    end_day = datetime.combine(end_day.date(), time(12), tzinfo=zone)
    return _wall(end_day, quiet.end, zone)


@dataclass(frozen=True)
class Due:
    """A due marketing message as the cap sees it."""

    id: int
    priority: int
    due_at: datetime


def cap_choose(
    due: Sequence[Due], *, sent_at: Sequence[datetime], cap: Cap | None, now: datetime
) -> tuple[list[int], list[int], datetime | None]:
    """Which of one customer's due marketing messages go now: the highest priority first, ties
    by the earlier due time, as many as the cap leaves free given the moments of the marketing
    messages already sent (``sent_at``). Returns (go, wait, when the next slot frees)."""
    ordered = sorted(due, key=lambda d: (-d.priority, d.due_at, d.id))
    if cap is None:
        return [d.id for d in ordered], [], None
    counted = sorted(at for at in sent_at if at > now - cap.window)
    free = max(cap.count - len(counted), 0)
    go = [d.id for d in ordered[:free]]
    wait = [d.id for d in ordered[free:]]
    if not wait:
        return go, wait, None
    # After sending ``go`` now, the slot that frees first is the oldest send's in the window.
    moments = sorted([*counted, *[now] * len(go)])
    frees = moments[len(moments) - cap.count] + cap.window if cap.count else None
    return go, wait, frees
