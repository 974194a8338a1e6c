"""Segments at scale on PostgreSQL: one customer's segments re-evaluated, and the nightly
refresh of every segment, at 1,000,000 customers.

    .venv/bin/python benchmarks/segments.py                      # 1M customers
    .venv/bin/python benchmarks/segments.py --customers 100000 --samples 50

Creates a database for the run (dropped after it), migrates it and generates the business of
``benchmarks/lifecycle_recompute.py`` in SQL (a tenth leads, 2.3 orders a customer over three
years, subscriptions, interactions with open complaints, accounts, a prediction per buyer),
plus NPS answers for a tenth and newsletter consent for a third of the customers and a
``plan`` attribute for a quarter. It places every customer in their stage and scores health
(so ``stage`` and ``health_band`` are there to read), then:

- creates ten segments over those facts (each creation fills it for everyone: the first
  refresh, writing the stays and a ``segment.entered`` event each);
- one customer's segments re-evaluated (``segments_refresh_customers``, what the consumer
  calls for an event about them), ``--samples`` random customers one at a time: p50, p95, max
  (the issue's acceptance: p95 < 1 s at 1M); then the same through the consumer: a change of
  the customer's category announced as an event, the ``segments.members`` consumer drained;
- the nightly refresh of every segment a day later (``segments_refresh``).

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lifecycle_recompute import DEFAULT_PG, LOAD_SQL

EXTRA_SQL = """
INSERT INTO feedback_surveyresponse (customer_id, kind, score, answered_at, comment, channel,
    external_id, created_at)
SELECT id, 'nps', id %% 11, now() - (id %% 200) * interval '1 day', '', '', 'S' || id, now()
FROM customers_customer WHERE id %% 10 = 3;

INSERT INTO customers_consent (customer_id, purpose, granted, changed_at, source, evidence)
SELECT id, 'newsletter', true, now() - interval '30 days', 'signup form', ''
FROM customers_customer WHERE id %% 3 = 0;

UPDATE customers_customer
SET custom_attributes = jsonb_build_object('plan', (ARRAY['gold', 'silver'])[1 + id %% 2])
WHERE id %% 4 = 0;
"""

SEGMENTS: list[tuple[str, dict[str, Any]]] = [
    ("Valuable", {"when": {"fact": "predicted_clv_365", "op": ">=", "value": 150}}),
    ("Health red", {"when": {"fact": "health_band", "op": "is", "value": "red"}}),
    ("Quiet repeat buyers", {"when": {"all": [
        {"fact": "days_since_last_order", "op": ">", "value": 180},
        {"fact": "orders_count", "op": ">=", "value": 2}]}}),
    ("Newsletter readers", {"when": {"fact": "consent_newsletter", "op": "==", "value": True}}),
    ("B2B at risk", {"when": {"all": [
        {"fact": "category", "op": "is", "value": "b2b"},
        {"fact": "stage", "op": "in", "value": ["at_risk", "churned"]}]}}),
    ("Leads", {"when": {"fact": "is_lead", "op": "==", "value": True}}),
    ("Subscribers", {"when": {"fact": "has_active_subscription", "op": "==", "value": True}}),
    ("Promoters", {"when": {"fact": "latest_nps", "op": ">=", "value": 9}}),
    ("Gold plan", {"when": {"fact": "attribute.plan", "op": "is", "value": "gold"}}),
    ("Complaining", {"when": {"fact": "open_complaints", "op": ">=", "value": 1}}),
]  # fmt: skip


def _quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": statistics.median(ordered),
        "p95": p95,
        "max": ordered[-1],
        "samples": len(ordered),
    }


def child(customers: int, samples: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from tenure.customers.services import customer_update
    from tenure.events.consumers import consumer_drain
    from tenure.events.models import ConsumerPosition, Event
    from tenure.events.reading import end_position
    from tenure.lifecycle.services import health_recompute, lifecycle_recompute
    from tenure.segments.following import MEMBERS
    from tenure.segments.models import SegmentMembership
    from tenure.segments.services import (
        segment_create,
        segments_refresh,
        segments_refresh_customers,
    )

    call_command("migrate", verbosity=0)
    out: dict[str, Any] = {"customers": customers}
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL % {"customers": int(customers)})
        cursor.execute(EXTRA_SQL % {})
        cursor.execute("VACUUM ANALYZE")
    out["loaded_seconds"] = time.perf_counter() - began
    now = timezone.now()
    began = time.perf_counter()
    lifecycle_recompute(now=now)
    health_recompute(now=now)
    out["stages_and_health_seconds"] = time.perf_counter() - began

    created = []
    for name, definition in SEGMENTS:
        began = time.perf_counter()
        segment = segment_create(by=None, name=name, definition=definition, now=now)
        created.append(
            {"name": name, "members": segment.members_count,
             "seconds": round(time.perf_counter() - began, 2)}
        )  # fmt: skip
    out["created"] = created
    out["stays"] = SegmentMembership.objects.count()
    out["entered_events"] = Event.objects.filter(kind="segment.entered").count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(7)
    ids = [rng.randint(1, customers) for _ in range(samples)]
    one: list[float] = []
    later = now + timedelta(hours=1)
    for customer_id in ids:
        began = time.perf_counter()
        segments_refresh_customers(customer_ids=[customer_id], now=later)
        one.append(time.perf_counter() - began)
    out["one_customer"] = _quantiles(one)

    # Through the consumer: the change is an event; the drain re-evaluates that customer.
    end = end_position()
    ConsumerPosition.objects.update_or_create(
        name=MEMBERS.name, defaults={"tx": end.tx, "event_id": end.event_id}
    )
    followed: list[float] = []
    for n, customer_id in enumerate(ids[: max(1, samples // 2)]):
        with transaction.atomic():
            customer_update(customer_id=customer_id, changes={"category": f"b{n % 2}"})
        began = time.perf_counter()
        consumer_drain(MEMBERS)
        followed.append(time.perf_counter() - began)
    out["one_customer_via_consumer"] = _quantiles(followed)

    began = time.perf_counter()
    nightly = segments_refresh(now=now + timedelta(days=1))
    out["nightly"] = {
        "seconds": time.perf_counter() - began,
        "segments": len(nightly.changes),
        "entered": nightly.entered,
        "left": nightly.left,
    }
    began = time.perf_counter()
    again = segments_refresh(now=now + timedelta(days=1))
    out["nightly_again"] = {"seconds": time.perf_counter() - began, "entered": again.entered}
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.customers, args.samples)
        return
    import psycopg

    name = f"tenure_seg_bench_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="tenure-bench-segments-") as tmp:
            env = {
                **os.environ,
                "TENURE_DATABASE_URL": args.pg_url.rsplit("/", 1)[0] + f"/{name}",
                "TENURE_DATA_DIR": tmp,
            }
            command = [sys.executable, __file__, "--child", "--customers", str(args.customers)]
            command += ["--samples", str(args.samples)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the benchmark failed:\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _print(result)


def _print(result: dict[str, Any]) -> None:
    print(f"{result['customers']:,} customers (loaded in {result['loaded_seconds']:.1f} s; "
          f"stages and health {result['stages_and_health_seconds']:.1f} s)")  # fmt: skip
    print("segments created (each filled for everyone, its stays and events written):")
    for row in result["created"]:
        print(f"  {row['name']:<22} {row['members']:>9,} members  {row['seconds']:>7.2f} s")
    print(f"  {result['stays']:,} stays, {result['entered_events']:,} segment.entered events")
    for key, label in (
        ("one_customer", "one customer's segments re-evaluated"),
        ("one_customer_via_consumer", "the same through an event and the consumer"),
    ):
        q = result[key]
        print(f"{label} ({q['samples']} samples): p50 {q['p50'] * 1000:.1f} ms, "
              f"p95 {q['p95'] * 1000:.1f} ms, max {q['max'] * 1000:.1f} ms")  # fmt: skip
    n = result["nightly"]
    print(f"nightly refresh of {n['segments']} segments a day later: {n['seconds']:.1f} s "
          f"({n['entered']:,} entered, {n['left']:,} left); run again at once: "
          f"{result['nightly_again']['seconds']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
