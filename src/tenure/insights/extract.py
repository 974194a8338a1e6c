"""Completed orders as a Parquet extract: what an engine beside the app's database reads.

One directory per month of placing (``month=2025-03/``, Hive's layout, which DuckDB and Spark
both read as a partition column), columns ``customer_id`` (int64), ``placed_at`` (the local
wall-clock time in ``TIME_ZONE``, without a zone: the business's calendar, as the analytics
count days) and ``amount`` (decimal(14, 2), exact). Orders are read in id order, ``CHUNK`` at a
time, as numbers (``reading.fetch_columns``: no Python object per value), so a log of any
length is written in bounded memory.

The extract is rebuilt beside the old one and swapped in by renames: a reader sees the whole
old extract or the whole new one, never half of each, and a failed run leaves the old one as it
was. ``_extract.json`` says what it holds (orders, customers, months, the time zone, when).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import BigIntegerField, F
from django.db.models.functions import Cast, Round

from tenure.facts.clock import EpochSeconds
from tenure.insights.reading import fetch_columns
from tenure.orders.models import Order, OrderStatus

CHUNK = 200_000
MANIFEST = "_extract.json"


@dataclass(frozen=True)
class Extract:
    """What an extract holds."""

    directory: str
    orders: int
    customers: int
    months: list[str]
    time_zone: str
    written_at: str


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


def orders_extract(directory: Path | None = None, *, chunk: int = CHUNK) -> Extract:
    """Write every completed order to ``directory`` (default: the setting), replacing what was
    there only once the new extract is whole."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    target = (directory or extract_directory()).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f"{target.name}.new-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    columns: list[Any] = ["pk", "customer_id", EpochSeconds("placed_at"),
               Cast(Round(F("amount") * 100), BigIntegerField())]  # fmt: skip
    completed = Order.objects.filter(status=OrderStatus.COMPLETED).order_by("pk")
    last, orders, part = 0, 0, 0
    customers: set[int] = set()
    months: set[str] = set()
    try:
        while True:
            rows = fetch_columns(
                completed.filter(pk__gt=last).values_list(*columns)[:chunk], len(columns)
            )
            if not len(rows):
                break
            table = _chunk_table(rows)
            ds.write_dataset(
                table,
                building,
                format="parquet",
                partitioning=ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive"),
                basename_template=f"part-{part:06d}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore",
            )
            last = int(rows[-1, 0])
            orders += len(rows)
            part += 1
            customers.update(np.unique(rows[:, 1].astype(np.int64)).tolist())
            months.update(table.column("month").unique().to_pylist())
        made = Extract(
            directory=str(target), orders=orders, customers=len(customers),
            months=sorted(months), time_zone=settings.TIME_ZONE,
            written_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        (building / MANIFEST).write_text(json.dumps(asdict(made), indent=2))
        _swap(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return made


def _swap(building: Path, target: Path) -> None:
    """Put ``building`` where ``target`` is: two renames, the old one removed after."""
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def extract_read(directory: Path | None = None) -> Extract | None:
    """What the extract at ``directory`` holds (None: there is none)."""
    path = (directory or extract_directory()) / MANIFEST
    if not path.exists():
        return None
    return Extract(**json.loads(path.read_text()))
