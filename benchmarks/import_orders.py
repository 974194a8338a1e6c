"""How fast `tenure import orders` stores a large order log, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/import_orders.py --orders 1000000 --customers 100000

Generates a deterministic CSV order log (orders in time order over three years, customers
drawn at random, about 5 % refunded, some in another currency), then imports it into a fresh
database on each engine (SQLite: a file in a temporary directory; PostgreSQL: a database
created for the run and dropped after it) and prints rows/s side by side, for the first import
(every row created, with every customer created from the log) and for a second import of the
same file (every row unchanged: the cost of re-running an interrupted import).

Each engine runs in a child process, because Django's settings (the database) are fixed per
process. Target: 1,000,000 orders in under 60 s on PostgreSQL. The machine's load average is
printed before and after: on a shared machine the figures vary with it.

    .venv/bin/python benchmarks/import_orders.py --orders 200000 --customers 20000 \
        --engines postgresql

Every imported change is written in the records' history (an entry per order changed, a
record per run of ids created); ``--baseline REV`` also runs the same imports with the code of git
revision REV (e.g. ``main``, before the history was written) and prints the ratio, in the
same run, on the same machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def orders_csv_write(path: Path, *, orders: int, customers: int, seed: int = 20250101) -> None:
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    span = 3 * 365 * 86400
    step = span / max(orders, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "placed_at", "amount", "currency", "status"])
        for n in range(orders):
            placed = start + timedelta(seconds=int(n * step + rng.random() * step))
            writer.writerow(
                [
                    f"O{n + 1:08d}",
                    f"C{rng.randrange(customers) + 1:07d}",
                    placed.strftime("%Y-%m-%dT%H:%M:%S"),
                    f"{rng.randrange(500, 50_000) / 100:.2f}",
                    "EUR" if rng.random() < 0.1 else "",
                    "refunded" if rng.random() < 0.05 else "completed",
                ]
            )


def child(csv_path: str, batch_size: int) -> None:
    """Runs inside the child process, with TENURE_DATABASE_URL pointing at a fresh database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenure.customers.models import Customer
    from tenure.orders.models import Order
    from tenure.transfer.services import orders_import

    call_command("migrate", verbosity=0)
    figures: dict[str, object] = {"vendor": connection.vendor}
    for run in ("first", "again"):
        with open(csv_path, "rb") as source:
            started = time.perf_counter()
            result = orders_import(source=source, column_map={}, batch_size=batch_size)
            seconds = time.perf_counter() - started
        figures[run] = {
            "seconds": seconds,
            "rows": result.rows_read,
            "created": result.created,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        }
    figures["orders"] = Order.objects.count()
    figures["customers"] = Customer.objects.count()
    from auditlog.models import LogEntry

    figures["history"] = LogEntry.objects.count()
    figures["created"] = 0
    try:  # revisions before creations were recorded once per run of ids have no such table
        from django.db.models import F, Sum

        from tenure.history.models import BulkCreation
    except ImportError:
        pass
    else:
        runs = BulkCreation.objects.aggregate(n=Sum(F("last_id") - F("first_id") + 1))
        figures["created"] = runs["n"] or 0
    print(json.dumps(figures))


def _run_child(
    csv_path: Path, database_url: str, data_dir: Path, batch_size: int, source: Path | None = None
) -> dict:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_DATA_DIR": str(data_dir)}
    if source is not None:  # another revision's code first on the path
        env["PYTHONPATH"] = str(source)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), "--batch-size", str(batch_size)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"the import on {database_url} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres_run(
    csv_path: Path, pg_url: str, data_dir: Path, batch_size: int, source: Path | None = None
) -> dict:
    import psycopg

    name = f"tenure_bench_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = pg_url.rsplit("/", 1)[0] + f"/{name}"
        return _run_child(csv_path, url, data_dir, batch_size, source)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument(
        "--baseline", metavar="REV", help="also run with the code of this git revision"
    )
    parser.add_argument("--child", metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.batch_size)
        return

    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="tenure-bench-") as tmp:
        work = Path(tmp)
        csv_path = work / "orders.csv"
        started = time.perf_counter()
        orders_csv_write(csv_path, orders=args.orders, customers=args.customers)
        size = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.orders:,} orders of {args.customers:,} customers "
            f"({size:.0f} MB) in {time.perf_counter() - started:.1f} s; batch {args.batch_size:,}"
        )
        sources: dict[str, Path | None] = {"": None}
        if args.baseline:
            base = work / "baseline"
            base.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.baseline, "src"], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            sources[f"@{args.baseline}"] = base / "src"
        results = {}
        for engine in args.engines.split(","):
            for suffix, source in sources.items():
                if engine == "sqlite":
                    url = f"sqlite:///{work / f'bench{len(results)}.sqlite3'}"
                    results[engine + suffix] = _run_child(
                        csv_path, url, work, args.batch_size, source
                    )
                elif engine == "postgresql":
                    results[engine + suffix] = _postgres_run(
                        csv_path, args.pg_url, work, args.batch_size, source
                    )
                else:
                    raise SystemExit(f"unknown engine {engine!r}")

    print(f"\n{'':34}" + "".join(f"{engine:>16}" for engine in results))
    for run, label in (("first", "first import (all created)"), ("again", "same file again")):
        seconds = "".join(f"{r[run]['seconds']:>14.1f} s" for r in results.values())
        rate = "".join(f"{r[run]['rows'] / r[run]['seconds']:>16,.0f}" for r in results.values())
        print(f"{label + ', seconds':34}{seconds}")
        print(f"{label + ', rows/s':34}{rate}")
    stored = "".join(f"{r['orders']:>16,}" for r in results.values())
    customers = "".join(f"{r['customers']:>16,}" for r in results.values())
    print(f"{'orders stored':34}{stored}\n{'customers created from the log':34}{customers}")
    history = "".join(f"{r['history']:>16,}" for r in results.values())
    print(f"{'history entries':34}{history}")
    created = "".join(f"{r.get('created', 0):>16,}" for r in results.values())
    print(f"{'creations in the history (runs)':34}{created}")
    for engine in args.engines.split(","):
        base = results.get(f"{engine}@{args.baseline}") if args.baseline else None
        if base is not None:
            for run in ("first", "again"):
                ratio = results[engine][run]["seconds"] / base[run]["seconds"]
                print(f"{engine} {run}: {ratio:.2f} x the time of {args.baseline}")
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
