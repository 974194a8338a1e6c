"""Completed orders as a Parquet extract: what an engine beside the app's database reads.

One directory per month of placing (``month=2025-03/``, Hive's layout, which DuckDB and Spark
both read as a partition column), columns ``customer_id`` (int64), ``placed_at`` (the local
wall-clock time in ``TIME_ZONE``, without a zone: the business's calendar, as the analytics
count days) and ``amount`` (decimal(14, 2), exact). Orders are read in id order, ``CHUNK`` at a
time, as numbers (``reading.fetch_columns``: no Python object per value), so a log of any
length is written in bounded memory.

Incremental: ``_extract.json`` records the events cursor the extract is current to. The next
run reads the order events after it (placed, changed, refunded, cancelled, deleted: every path
that writes an order records them) and rewrites only the months they touch: the month of each
event's date and of each touched order's current ``placed_at``. An order whose ``placed_at``
moved (its old month is not in the event), a changed time zone or ``full=True`` rewrite it
all. A whole rewrite is built beside the old extract and swapped in by renames (a reader sees
the old extract or the new one); a month's rewrite swaps that month's folder alone, and the
manifest last: a run that stops half-way is finished by the next, which reads the same events
from the old cursor and rewrites the same months. One run at a time (a lock file beside it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import BigIntegerField, F, QuerySet
from django.db.models.functions import Cast, Round
from django.utils import timezone

from tenure.events.models import Event
from tenure.events.reading import Position, end_position, events_after
from tenure.facts.clock import EpochSeconds
from tenure.insights.reading import day_start, fetch_columns
from tenure.orders.events import CANCELLED, CHANGED, DELETED, PLACED, REFUNDED
from tenure.orders.models import Order, OrderStatus

CHUNK = 200_000
MANIFEST = "_extract.json"
ORDER_KINDS = [kind.name for kind in (PLACED, CHANGED, REFUNDED, CANCELLED, DELETED)]
EVENTS_BATCH = 20_000


@dataclass(frozen=True)
class Extract:
    """What an extract holds."""

    directory: str
    orders: int
    months: dict[str, int]  # orders per month
    time_zone: str
    written_at: str
    position: str  # the events cursor it is current to
    written: list[str] = field(default_factory=list)  # the months this run wrote
    whole: bool = True  # this run wrote it all


def extract_directory() -> Path:
    """Where the extract lives (``TENURE_ANALYTICS_EXTRACT_DIR``)."""
    return Path(settings.ANALYTICS_EXTRACT_DIR)


def _wall_clock(seconds: np.ndarray) -> pd.DatetimeIndex:
    stamps = pd.to_datetime(seconds.astype(np.int64), unit="s", utc=True)
    if settings.TIME_ZONE != "UTC":
        stamps = stamps.tz_convert(settings.TIME_ZONE)
    return stamps.tz_localize(None)


def _chunk_table(rows: np.ndarray) -> Any:
    """A chunk of (id, customer id, epoch seconds, cents) rows as the extract's columns."""
    import pyarrow as pa

    placed = _wall_clock(rows[:, 2])
    return pa.table(
        {
            "customer_id": pa.array(rows[:, 1].astype(np.int64)),
            "placed_at": pa.array(placed.to_numpy().astype("datetime64[us]")),
            "amount": _cents_to_decimal(rows[:, 3].astype(np.int64)),
            "month": pa.array(placed.strftime("%Y-%m").to_numpy(dtype=object), pa.string()),
        }
    )


def _cents_to_decimal(cents: np.ndarray) -> Any:
    """Whole cents as decimal(14, 2), exactly (the unscaled value of a scale-2 decimal)."""
    import pyarrow as pa

    unscaled = pa.array(cents, pa.int64()).cast(pa.decimal128(19, 0))
    # A decimal's unscaled integer is the same bytes whatever its scale: reinterpret it.
    return pa.Array.from_buffers(pa.decimal128(19, 2), len(unscaled), unscaled.buffers()).cast(
        pa.decimal128(14, 2)
    )


COLUMNS: list[Any] = ["pk", "customer_id", EpochSeconds("placed_at"),
                     Cast(Round(F("amount") * 100), BigIntegerField())]  # fmt: skip


def _write(orders: QuerySet[Order], into: Path, chunk: int) -> dict[str, int]:
    """``orders`` (completed ones) into ``into``, a folder per month; orders per month."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    ordered = orders.filter(status=OrderStatus.COMPLETED).order_by("pk")
    last, part = 0, 0
    counts: dict[str, int] = {}
    while True:
        rows = fetch_columns(
            ordered.filter(pk__gt=last).values_list(*COLUMNS)[:chunk], len(COLUMNS)
        )
        if not len(rows):
            return counts
        table = _chunk_table(rows)
        ds.write_dataset(
            table,
            into,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive"),
            basename_template=f"part-{part:06d}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
        )
        months, found = np.unique(table.column("month").to_numpy(zero_copy_only=False),
                                  return_counts=True)  # fmt: skip
        for month, n in zip(months.tolist(), found.tolist(), strict=True):
            counts[month] = counts.get(month, 0) + n
        last = int(rows[-1, 0])
        part += 1


def _month_of(moment: datetime) -> str:
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m")


def _month_range(month: str) -> tuple[datetime, datetime]:
    year, number = (int(v) for v in month.split("-"))
    after = date(year + number // 12, number % 12 + 1, 1)
    return day_start(date(year, number, 1)), day_start(after)


def _changed_months(since: Position) -> tuple[set[str], Position] | None:
    """The months the order events after ``since`` touch, and the cursor after them; None
    when an order's ``placed_at`` moved (its old month is not in the event: rewrite all)."""
    months: set[str] = set()
    orders: set[int] = set()
    position = since
    reading = Event.objects.only("id", "tx", "kind", "at", "subject_id", "data")
    while batch := events_after(position, limit=EVENTS_BATCH, kinds=ORDER_KINDS,
                                queryset=reading):  # fmt: skip
        for event in batch:
            if event.kind == CHANGED.name and "placed_at" in (event.data or {}).get("fields", ()):
                return None
            months.add(_month_of(event.at))
            if event.subject_id is not None:
                orders.add(int(event.subject_id))
        position = Position.of(batch[-1])
    touched = sorted(orders)
    for first in range(0, len(touched), EVENTS_BATCH):
        placed = Order.objects.filter(pk__in=touched[first : first + EVENTS_BATCH])
        months.update(_month_of(at) for at in placed.values_list("placed_at", flat=True))
    return months, position


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    with open(target.with_name(f"{target.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run waits here, then finds our manifest
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def orders_extract(
    directory: Path | None = None, *, chunk: int = CHUNK, full: bool = False
) -> Extract:
    """Bring the extract at ``directory`` (default: the setting) up to date: the months the
    order events since the last run touched, or all of it (see the module docstring)."""
    target = (directory or extract_directory()).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        old = extract_read(target)
        if full or old is None or old.time_zone != settings.TIME_ZONE:
            return _extract_whole(target, chunk)
        changed = _changed_months(Position.parse(old.position))
        if changed is None:
            return _extract_whole(target, chunk)
        return _extract_months(target, old, *changed, chunk=chunk)


def _manifest(target: Path, made: Extract, into: Path | None = None) -> None:
    """The manifest written whole (a temporary file renamed over the old one)."""
    folder = into or target
    temporary = folder / f"{MANIFEST}.{os.getpid()}"
    temporary.write_text(json.dumps(asdict(made), indent=2))
    os.replace(temporary, folder / MANIFEST)


def _made(
    target: Path, counts: dict[str, int], position: Position, *, written: list[str], whole: bool
) -> Extract:
    """The manifest of an extract holding ``counts`` orders per month, current to ``position``."""
    months = dict(sorted(counts.items()))
    return Extract(
        directory=str(target), orders=sum(months.values()), months=months,
        time_zone=settings.TIME_ZONE, written_at=datetime.now(UTC).isoformat(timespec="seconds"),
        position=position.token(), written=written, whole=whole,
    )  # fmt: skip


def _extract_whole(target: Path, chunk: int) -> Extract:
    building = target.with_name(f"{target.name}.new-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        # The cursor first: an order written while we read is in the events after it, so the
        # next run rewrites its month again (harmless) rather than missing it.
        position = end_position()
        counts = _write(Order.objects.all(), building, chunk)
        made = _made(target, counts, position, written=sorted(counts), whole=True)
        _manifest(target, made, into=building)
        _swap(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return made


def _extract_months(
    target: Path, old: Extract, months: set[str], position: Position, *, chunk: int
) -> Extract:
    building = target.with_name(f"{target.name}.new-{os.getpid()}")
    retired = target.with_name(f"{target.name}.old-{os.getpid()}")
    for folder in (building, retired):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    counts = dict(old.months)
    try:
        for month in sorted(months):
            start, end = _month_range(month)
            found = _write(
                Order.objects.filter(placed_at__gte=start, placed_at__lt=end), building, chunk
            )
            counts.pop(month, None)
            counts.update(found)
        for month in sorted(months):  # each month's folder swapped alone
            name = f"month={month}"
            if (target / name).exists():
                (target / name).rename(retired / name)
            if (building / name).exists():
                (building / name).rename(target / name)
        made = _made(target, counts, position, written=sorted(months), whole=False)
        _manifest(target, made)
    finally:
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return made


def _swap(building: Path, target: Path) -> None:
    """Put ``building`` where ``target`` is: two renames, the old one removed after."""
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def extract_read(directory: Path | None = None) -> Extract | None:
    """What the extract at ``directory`` holds (None: there is none)."""
    path = (directory or extract_directory()) / MANIFEST
    if not path.exists():
        return None
    try:
        made = Extract(**json.loads(path.read_text()))
        Position.parse(made.position)
    except (ValueError, TypeError):  # not a manifest this version wrote: the extract is rebuilt
        return None
    return made
