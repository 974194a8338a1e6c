"""Pairs of overlapping imports on PostgreSQL: does every pair end well, every row stored once?

    .venv/bin/python benchmarks/import_overlap.py --pairs 20 --customers 100000

Creates a database for the run (dropped after it), then for each pair writes two files naming
the same customers (one in id order, the other shuffled, with other emails) and runs two real
`tenure import` processes on them at once. Pairs alternate between customers files and orders
files (an order per customer, the customers created by the import). Per pair it prints the exit
codes, the seconds, how many batches were stored again after losing to the other import (the
warnings on stderr), whether either printed a traceback, and whether every row is stored once.
An exit code 3 (the loser gave up after its attempts, in words) is followed by a re-run, as
its message says, which must complete the import.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _files(work: Path, pair: int, kind: str, customers: int) -> tuple[Path, Path]:
    rng = random.Random(pair)
    keys = [f"P{pair:02d}-{n:07d}" for n in range(customers)]
    if kind == "customers":
        header = ["customer_id", "email", "category"]
        first = [[key, f"{key.lower()}@a.example", "a"] for key in keys]
        second = [[key, f"{key.lower()}@b.example", "b"] for key in keys]
    else:
        header = ["order_id", "customer_id", "placed_at", "amount"]
        first = [[f"O-{key}", key, "2025-02-01", "10.00"] for key in keys]
        second = [[f"O-{key}", key, "2025-02-01", "12.50"] for key in keys]
    rng.shuffle(second)
    a, b = work / f"{pair}-a.csv", work / f"{pair}-b.csv"
    _write(a, header, first)
    _write(b, header, second)
    return a, b


def _tenure(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(url: str, kind: str, pair: int) -> tuple[int, int]:
    """(rows stored for the pair, distinct keys among them)."""
    import psycopg

    table, column = (
        ("customers_customer", "external_id")
        if kind == "customers"
        else ("orders_order", "external_id")
    )
    prefix = f"P{pair:02d}-%" if kind == "customers" else f"O-P{pair:02d}-%"
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT {column}) FROM {table} WHERE {column} LIKE %s",
            [prefix],
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--kind", choices=["customers", "orders", "both"], default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    args = parser.parse_args()

    import psycopg

    name = f"tenure_overlap_{os.getpid()}"
    url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    failures = 0
    totals = {"retried batches": 0, "gave up (exit 3)": 0, "tracebacks": 0}
    try:
        with tempfile.TemporaryDirectory(prefix="tenure-overlap-") as tmp:
            work = Path(tmp)
            env = {**os.environ, "TENURE_DATABASE_URL": url, "TENURE_DATA_DIR": str(work)}
            migrate = _tenure(env, "migrate")
            if migrate.wait() != 0:
                raise SystemExit(migrate.communicate()[1])
            for pair in range(args.pairs):
                kind = args.kind if args.kind != "both" else ("customers", "orders")[pair % 2]
                a, b = _files(work, pair, kind, args.customers)
                started = time.perf_counter()
                runs = [_tenure(env, "import", kind, str(path), "-q") for path in (a, b)]
                outcomes = [(run.wait(), run.communicate()[1]) for run in runs]
                seconds = time.perf_counter() - started
                retried = sum(err.count("storing them again") for _, err in outcomes)
                tracebacks = sum("Traceback" in err for _, err in outcomes)
                codes = [code for code, _ in outcomes]
                for code, _ in outcomes:
                    if code == 3:  # the loser's message says re-running is safe: do so
                        again = _tenure(env, "import", kind, str(a), "-q")
                        codes.append(again.wait())
                stored, distinct = _count(url, kind, pair)
                ok = (
                    stored == distinct == args.customers
                    and tracebacks == 0
                    and all(code in (0, 3) for code in codes[:2])
                    and all(code == 0 for code in codes[2:])
                )
                failures += not ok
                totals["retried batches"] += retried
                totals["gave up (exit 3)"] += codes[:2].count(3)
                totals["tracebacks"] += tracebacks
                print(
                    f"pair {pair + 1:2d} {kind:9s} exit codes {codes} {seconds:6.1f} s  "
                    f"batches stored again {retried:2d}  tracebacks {tracebacks}  "
                    f"rows {stored:,} (distinct {distinct:,})  {'ok' if ok else 'FAILED'}",
                    flush=True,
                )
                for code, err in outcomes:
                    if code not in (0, 3) or "Traceback" in err:
                        print(err[-2000:], file=sys.stderr)
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"{args.pairs - failures} of {args.pairs} pairs ended well; "
        + ", ".join(f"{key}: {value}" for key, value in totals.items())
    )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
