"""The playbooks' daily triggers on PostgreSQL: special days and silences over 1,000,000
customers.

    .venv/bin/python benchmarks/playbook_triggers.py                      # 1M customers
    .venv/bin/python benchmarks/playbook_triggers.py --customers 100000

Creates a database for the run (dropped after it), migrates it and generates the customers in
SQL (``generate_series``; no Python per row): each with a birthday, one of twelve time zones
(from Pacific/Auckland to Pacific/Honolulu, a tenth with none: the business's), a tenth with a
"Wedding" special date; nine in ten buyers, their cached order columns (``first_order_at``,
``last_order_at``, ``orders_count``: what the silence trigger reads) spread over three years
with their own rhythm (10 to 90 days between orders). Four playbooks are switched on: a
birthday (with a condition, so the facts registry is read for the day's candidates), the
first-order anniversary, the wedding day and a silence beyond twice the customer's rhythm (at
least 30 days). Then ``daily_triggers`` runs twice, as the nightly step and as a worker
restarted on the day (it must enrol nobody twice), and the due runner takes the enrolments'
first steps. The issue's budget: the daily triggers under 60 s at 1M customers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
ZONES = [
    "", "UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu",
    "America/Sao_Paulo",
]  # fmt: skip

LOAD_SQL = """
CREATE TEMPORARY TABLE bench_plan AS
SELECT g AS id,
       CASE WHEN random() < 0.1 THEN 0 ELSE 1 + floor(ln(1 - random()) / ln(0.6))::int END AS n,
       now() - random() * interval '1095 days' AS last_at,
       (10 + random() * 80) * interval '1 day' AS gap
FROM generate_series(1, %(customers)s) g;

INSERT INTO customers_customer (id, external_id, first_name, last_name, email, phone, birthday,
    time_zone, channel, category, custom_attributes, created_at, updated_at, first_order_at,
    last_order_at, orders_count, revenue)
SELECT id, 'C' || id, 'Ada', 'Lovelace' || id, 'ada' || id || '@example.com', '',
    date '1950-01-01' + (random() * 20000)::int, (ARRAY[%(zones)s])[1 + id %% %(nzones)s],
    'web', 'retail', '{}', now() - interval '1100 days', now(),
    CASE WHEN n > 0 THEN last_at - (n - 1) * gap END, CASE WHEN n > 0 THEN last_at END,
    n, 50 * n
FROM bench_plan;

INSERT INTO customers_specialdate (customer_id, label, date, recurs_yearly)
SELECT id, 'Wedding', date '1980-01-01' + (random() * 15000)::int, true
FROM bench_plan WHERE id %% 10 = 3;

SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %(customers)s);
"""

PLAYBOOKS = [
    {"name": "Birthday", "slug": "birthday", "trigger": {"type": "special_date",
     "date": "birthday"}, "conditions": {"fact": "orders_count", "op": ">=", "value": 0}},
    {"name": "First order", "slug": "first-order",
     "trigger": {"type": "special_date", "date": "first_order_anniversary"}},
    {"name": "Wedding", "slug": "wedding",
     "trigger": {"type": "special_date", "date": "special_date", "label": "Wedding"}},
    {"name": "Quiet", "slug": "quiet", "reentry": "every",
     "trigger": {"type": "inactive", "factor": 2, "floor_days": 30}},
]  # fmt: skip


def child(customers: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tenure.lifecycle.models import RecomputeRun
    from tenure.lifecycle.services import active_definition
    from tenure.playbooks.models import Enrollment
    from tenure.playbooks.services import playbook_create
    from tenure.playbooks.tasks import steps_due
    from tenure.playbooks.triggers import daily_triggers

    call_command("migrate", verbosity=0)
    zones = ", ".join(f"'{zone}'" for zone in ZONES)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL % {"customers": int(customers), "zones": zones,
                                   "nzones": len(ZONES)})  # fmt: skip
        cursor.execute("VACUUM ANALYZE")
    loaded = time.perf_counter() - began
    # As after a nightly recompute: the base's median gap between orders is stored.
    RecomputeRun.objects.create(definition=active_definition(), median_gap_days=30.0)
    for definition in PLAYBOOKS:
        playbook_create(by=None, data={
            **definition, "enabled": True, "steps": [{"kind": "task", "title": "Call"}]
        })  # fmt: skip
    now = timezone.now()
    out: dict[str, Any] = {"customers": customers, "loaded": loaded}
    for key, at in (("daily", now), ("restarted", now)):
        began = time.perf_counter()
        result = daily_triggers(now=at)
        out[key] = {"seconds": time.perf_counter() - began, "enrolled": result["enrolled"]}
    out["enrollments"] = Enrollment.objects.count()
    began = time.perf_counter()
    out["steps"] = {"enrollments": steps_due()["enrollments"],
                    "seconds": time.perf_counter() - began}  # fmt: skip
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.customers)
        return
    import psycopg

    name = f"tenure_bench_playbooks_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="tenure-bench-playbooks-") as tmp:
            env = {
                **os.environ,
                "TENURE_DATABASE_URL": args.pg_url.rsplit("/", 1)[0] + f"/{name}",
                "TENURE_DATA_DIR": str(Path(tmp)),
            }
            command = [sys.executable, __file__, "--child", "--customers", str(args.customers)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the benchmark failed:\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"customers: {result['customers']:,} (generated in {result['loaded']:.1f} s)")
    for key in ("daily", "restarted"):
        run = result[key]
        enrolled = ", ".join(f"{slug} {count:,}" for slug, count in run["enrolled"].items())
        rate = result["customers"] / run["seconds"]
        print(f"{key}: {run['seconds']:.2f} s ({rate:,.0f} customers/s); enrolled: {enrolled}")
    print(f"enrolments stored: {result['enrollments']:,}")
    steps = result["steps"]
    print(f"first steps of {steps['enrollments']:,} enrolments: {steps['seconds']:.2f} s")
    ok = result["daily"]["seconds"] < 60 and not any(result["restarted"]["enrolled"].values())
    print("acceptance (< 60 s, nobody enrolled twice):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
