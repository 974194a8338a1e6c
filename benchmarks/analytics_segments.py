"""The analytics restricted to a segment against the whole base, at 100,000 customers.

    TENURE_DATABASE_URL=... .venv/bin/python benchmarks/analytics_segments.py
    .venv/bin/python benchmarks/analytics_segments.py --customers 10000 --orders 100000

Migrates the database ``TENURE_DATABASE_URL`` names (SQLite in ``TENURE_DATA_DIR`` without one;
it must be empty), loads the business of ``benchmarks/pages.py`` (1M orders with heterogeneous
rates, 20 owners; owner2 a success manager), then stores a segment of every fifth customer (its
open stays, as a refresh leaves them) and times each analytics selector ``--repeat`` times
(median, in seconds) for a manager and for the success manager, without and with the segment.

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _median(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from pages import business_generate, business_load

    from tenure.insights import selectors as insights
    from tenure.lifecycle import selectors as lifecycle
    from tenure.segments.models import Segment, SegmentMembership
    from tenure.segments.selectors import segment_member_ids
    from tenure.users.models import User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    business_load(business_generate(customers=args.customers, orders=args.orders))
    print(f"{connection.vendor}: loaded {args.customers:,} customers in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    segment = Segment.objects.create(
        name="Every fifth", slug="every-fifth", definition={"when": {}}, shared=True
    )
    entered = datetime(2025, 1, 1, tzinfo=UTC)
    SegmentMembership.objects.bulk_create(
        (
            SegmentMembership(segment=segment, customer_id=pk, entered_at=entered)
            for pk in range(1, args.customers + 1, 5)
        ),
        batch_size=10_000,
    )
    within = segment_member_ids(segment)
    end = date(2025, 12, 31)
    readers: dict[str, Callable[[Any, Any], Any]] = {
        "retention_series": lambda user, w: insights.retention_series(
            user=user, period="month", count=12, end=end, within=w
        ),
        "cohort_table": lambda user, w: insights.cohort_table(user=user, end=end, within=w),
        "order_metrics": lambda user, w: insights.order_metrics(user=user, end=end, within=w),
        "lifecycle_buckets": lambda user, w: lifecycle.lifecycle_buckets_for(
            user=user, end=end, within=w
        ),
        "stage_counts": lambda user, w: lifecycle.stage_counts(user=user, within=w),
    }
    users = {
        "manager": User.objects.get(username="owner1"),
        "success manager": User.objects.get(username="owner2"),
    }
    print(f"{'selector':<20} {'role':<16} {'whole s':>8} {'segment s':>10}")
    for name, read in readers.items():
        for role, user in users.items():
            whole = _median(lambda: read(user, None), args.repeat)  # noqa: B023
            narrowed = _median(lambda: read(user, within), args.repeat)  # noqa: B023
            print(f"{name:<20} {role:<16} {whole:>8.2f} {narrowed:>10.2f}")


if __name__ == "__main__":
    main()
