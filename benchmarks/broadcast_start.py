"""How long a broadcast takes to start (its audience queued into the ledger), to start again,
to count, to pause and to resume, for a segment of ``--members`` customers.

    .venv/bin/python benchmarks/broadcast_start.py                       # SQLite, 100,000
    .venv/bin/python benchmarks/broadcast_start.py --pg postgresql://postgres@127.0.0.1:5432/x

A fresh database (``--pg``: the database named in the URL is dropped and made again). Checks
the second start queues nothing and the counts add up after each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

from mail_common import django_setup, fresh_database, migrate, populate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL database to make afresh")
    options = parser.parse_args()
    url = None
    if options.pg:  # dropped and made again through the server's maintenance database
        server, name = options.pg.rsplit("/", 1)
        url = fresh_database(f"{server}/postgres", name)
    django_setup(url or fresh_database(None, ""), TENURE_DATA_DIR="/tmp/tenure-bc-bench")
    migrate()
    now = populate(customers=options.members, per_customer=0)

    from tenure.customers.models import Customer
    from tenure.mail.broadcasts import (
        broadcast_create,
        broadcast_pause,
        broadcast_resume,
        broadcast_schedule,
        broadcast_start,
    )
    from tenure.mail.models import Message, Template
    from tenure.mail.selectors import broadcast_counts
    from tenure.segments.models import Segment, SegmentMembership

    segment = Segment.objects.create(name="All", slug="all", definition={"when": {}})
    SegmentMembership.objects.bulk_create(
        (
            SegmentMembership(segment=segment, customer_id=pk, entered_at=now)
            for pk in Customer.objects.values_list("pk", flat=True).iterator()
        ),
        batch_size=5000,
    )
    template = Template.objects.create(name="News", subject="News", text="Hello")
    broadcast = broadcast_create(by=None, name="B", segment_id=segment.pk, template_id=template.pk)
    figures = []

    def timed(label: str, step) -> None:
        began = time.perf_counter()
        step()
        figures.append((label, time.perf_counter() - began))

    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=None, now=now)
    timed("start", lambda: broadcast_start(broadcast_id=broadcast.pk, now=now))
    timed("forced second start", lambda: broadcast_start(
        broadcast_id=broadcast.pk, now=now + timedelta(minutes=1), force=True))  # fmt: skip
    broadcast.refresh_from_db()
    timed("counts", lambda: broadcast_counts(broadcast))
    timed("pause", lambda: broadcast_pause(by=None, broadcast_id=broadcast.pk, now=now))
    timed("resume", lambda: broadcast_resume(by=None, broadcast_id=broadcast.pk, now=now))
    queued = Message.objects.filter(source=broadcast.source).count()
    counts = broadcast_counts(broadcast)
    database = "PostgreSQL" if options.pg else "SQLite"
    print(f"{database}, {options.members:,} members: {queued:,} messages queued")
    for label, seconds in figures:
        print(f"  {label:<22} {seconds:7.2f} s")
    ok = queued == options.members and counts.adds_up and counts.audience == options.members
    print("  checks:", "ok" if ok else f"FAILED {counts}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
