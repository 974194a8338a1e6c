"""How fast the points consumer earns an imported order log, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/loyalty_earn.py --orders 100000 --customers 10000

Stores ``--orders`` orders of ``--customers`` customers set-wise (bulk inserts, as the import's
set-wise path does) with their ``order.placed`` events, switches the loyalty program on, then
times ``tenure.loyalty.following.orders_earn`` on the events in batches of ``--batch`` (the
consumer's batch: 100,000), each batch in its transaction, commit included: the set-wise SQL
of ``tenure.loyalty.earn_sql`` (points, entries, lots, balances, ``loyalty.earned`` events).
Reading the events (the consumer framework's part, the same for every consumer) is timed
apart. A second pass over the same events (every key known: an event delivered again) is
timed too. The goal is 1,000,000 orders in
under 30 s; each engine runs in a child process on a fresh database (PostgreSQL: created for
the run and dropped after it). The machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def child(orders: int, customers: int, batch: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from tenure.customers.models import Customer
    from tenure.events.models import Event
    from tenure.events.record import events_record
    from tenure.loyalty.following import orders_earn
    from tenure.loyalty.models import PointsEntry
    from tenure.loyalty.services import program_update
    from tenure.orders.events import order_events
    from tenure.orders.models import Order

    rng = random.Random(20250101)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made = time.perf_counter()
    Customer.objects.bulk_create(
        [Customer(external_id=f"C{n:07d}", created_at=start) for n in range(customers)],
        batch_size=5000,
    )
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    for first in range(0, orders, 50_000):
        rows = [
            Order(
                external_id=f"O{n:08d}", customer_id=rng.choice(ids),
                placed_at=start + timedelta(seconds=n * 30),
                amount=Decimal(rng.randrange(500, 50_000)) / 100, currency="EUR",
            )
            for n in range(first, min(first + 50_000, orders))
        ]  # fmt: skip
        with transaction.atomic():
            Order.objects.bulk_create(rows, batch_size=5000)
            stored = Order.objects.filter(external_id__in=[o.external_id for o in rows])
            events_record(
                event
                for order in stored.values("pk", "customer_id", "placed_at", "amount", "currency",
                                           "status", "external_id")
                for event in order_events(order.pop("pk"), None, order)
            )  # fmt: skip
    setup_seconds = time.perf_counter() - made
    program_update(by=None, changes={"enabled": True, "points_per_unit": Decimal("1")})
    figures: dict[str, object] = {"vendor": connection.vendor, "setup_seconds": setup_seconds}
    for run in ("first", "again"):
        started = time.perf_counter()
        earned, last, reading = 0, 0, 0.0
        while True:
            read = time.perf_counter()
            events = list(
                Event.objects.filter(kind="order.placed", pk__gt=last).order_by("pk")[:batch]
            )
            reading += time.perf_counter() - read
            if not events:
                break
            with transaction.atomic():  # its commit (the deferred foreign-key checks) counted
                earned += orders_earn(events, now=datetime.now(UTC))
            last = events[-1].pk
        total = time.perf_counter() - started
        figures[run] = {"seconds": total - reading, "read_seconds": reading, "entries_new": earned}
    figures["entries"] = PointsEntry.objects.count()
    print(json.dumps(figures))


def _run_child(database_url: str, data_dir: Path, args: argparse.Namespace) -> dict:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_DATA_DIR": str(data_dir)}
    command = [sys.executable, __file__, "--child", "--orders", str(args.orders),
               "--customers", str(args.customers), "--batch", str(args.batch)]  # fmt: skip
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the run on {database_url} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres_run(pg_url: str, data_dir: Path, args: argparse.Namespace) -> dict:
    import psycopg

    name = f"tenure_bench_loyalty_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return _run_child(pg_url.rsplit("/", 1)[0] + f"/{name}", data_dir, args)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="a URL of the server's admin db")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.orders, args.customers, args.batch)
        return
    print(f"load average before: {os.getloadavg()}")
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            if engine == "sqlite":
                figures = _run_child(f"sqlite:///{data_dir / 'bench.sqlite3'}", data_dir, args)
            else:
                figures = _postgres_run(args.postgres, data_dir, args)
        first, again = figures["first"], figures["again"]
        rate = args.orders / first["seconds"]
        print(
            f"{engine}: {args.orders:,} orders earned in {first['seconds']:.2f} s "
            f"({rate:,.0f} orders/s, {first['entries_new']:,} entries; 1M at this rate: "
            f"{1_000_000 / rate:.1f} s); again (every key known) {again['seconds']:.2f} s "
            f"({again['entries_new']} new); reading the events (the consumer's part, not timed "
            f"above) {first['read_seconds']:.2f} s and {again['read_seconds']:.2f} s; "
            f"setup {figures['setup_seconds']:.1f} s"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
