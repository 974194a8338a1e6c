"""Does the churn audit find a real cause, and stay quiet where there is none?

    .venv/bin/python benchmarks/churn_audit.py                     # 200 null + 20 planted
    .venv/bin/python benchmarks/churn_audit.py --null 50 --planted 10 --customers 1000

Each business is drawn by a process written here, unlike the demo's and unlike the
buy-till-you-die models tenure fits: customers arrive over 900 days and buy in a renewal
process with gamma-distributed gaps (shape 2, a mean gap per customer drawn log-normally around
60 days) until a lifetime drawn from an exponential hazard ends; order values are log-normal,
independent of everything. Each customer has imported attributes (plan, region, seats,
channel, category). In a *planted* business the hazard of plan "basic" is three times the
others'; in a *null* business nothing depends on any attribute.

Every business goes the way a user's data does: customers.csv and orders.csv through the
import services (the code behind ``tenure import``), a lifecycle recompute (the stages, churned
by the business's own rhythm), then the audit (``tenure churn audit``). Printed: for the null
businesses, the share with any significant finding (the goal: at most 5 %, the false
discovery rate); for the planted ones, the share where the plan is the first finding, with the
median lift found. One SQLite database in a temporary directory, emptied between businesses.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

# The business's history ends today: importing it fires the lifecycle engine on the real clock.
DAYS = 1095
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
PLANS, PLAN_SHARES = ["basic", "pro", "team"], [0.5, 0.3, 0.2]


def business(seed: int, customers: int, hazard_ratio: float) -> tuple[bytes, bytes]:
    """customers.csv and orders.csv of one business (see the module docstring)."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(PLANS, customers, p=PLAN_SHARES)
    arrival = rng.uniform(0, 900, customers)
    mean_gap = rng.lognormal(np.log(60), 0.5, customers)
    hazard = (1 / 400) * np.where(plan == "basic", hazard_ratio, 1.0)
    death = arrival + rng.exponential(1 / hazard)
    people, orders = io.StringIO(), io.StringIO()
    pw, ow = csv.writer(people), csv.writer(orders)
    pw.writerow(["customer_id", "created_at", "channel", "category", "plan", "region", "seats"])
    ow.writerow(["order_id", "customer_id", "placed_at", "amount"])
    channels = rng.choice(["ads", "search", "referral", "partner"], customers)
    categories = rng.choice(["retail", "wholesale"], customers)
    regions = rng.choice(["north", "south", "east", "west"], customers)
    seats = 1 + rng.geometric(0.2, customers)
    number = 0
    for i in range(customers):
        cid = f"C{i:06d}"
        when = START + timedelta(days=float(arrival[i]))
        row = [cid, when.isoformat(), channels[i], categories[i], plan[i], regions[i], seats[i]]
        pw.writerow(row)
        t = arrival[i]
        while t < min(death[i], DAYS):
            number += 1
            amount = round(float(rng.lognormal(3.5, 0.5)), 2)
            placed = START + timedelta(days=float(t))
            ow.writerow([f"O{number:08d}", cid, placed.isoformat(), f"{amount:.2f}"])
            t += rng.gamma(2.0, mean_gap[i] / 2.0)
    return people.getvalue().encode(), orders.getvalue().encode()


def _setup(directory: str) -> Path:
    """Django on a migrated SQLite file; returns a copy of it, empty, to start each business."""
    database = Path(directory) / "audit.sqlite3"
    os.environ["TENURE_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["TENURE_DATA_DIR"] = directory
    os.environ["TENURE_TIME_ZONE"] = "UTC"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", verbosity=0)
    connections.close_all()
    empty = Path(directory) / "empty.sqlite3"
    shutil.copyfile(database, empty)
    return empty


def _fresh(empty: Path) -> None:
    from django.db import connections

    connections.close_all()
    database = Path(os.environ["TENURE_DATABASE_URL"].removeprefix("sqlite:///"))
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(empty, database)


def _audit_one(
    empty: Path, seed: int, customers: int, hazard_ratio: float
) -> tuple[list[str], float | None]:
    """The significant findings' attributes (strongest first) and the plan's lift."""
    from tenure.lifecycle.audit import churn_audit_for
    from tenure.lifecycle.services import lifecycle_recompute
    from tenure.transfer.services import customers_import, orders_import

    _fresh(empty)
    people, orders = business(seed, customers, hazard_ratio)
    now = START + timedelta(days=DAYS)
    customers_import(source=io.BytesIO(people), column_map={}, now=now)
    orders_import(source=io.BytesIO(orders), column_map={})
    lifecycle_recompute(now=now)
    result = churn_audit_for(user=None)
    if result.attrs["note"]:
        return [], None
    found = result[result["significant"]]
    plan = result.set_index("attribute").loc["custom__plan"]
    return list(found["attribute"]), (float(plan["lift"]) if plan["significant"] else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--null", type=int, default=200, help="businesses with no effect")
    parser.add_argument("--planted", type=int, default=20, help="businesses with the plan effect")
    parser.add_argument("--customers", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        empty = _setup(directory)
        started = time.perf_counter()
        flagged, what = 0, []
        for seed in range(args.null):
            found, _ = _audit_one(empty, 10_000 + seed, args.customers, 1.0)
            flagged += bool(found)
            what.extend(found)
        null_seconds = time.perf_counter() - started
        first, lifts = 0, []
        for seed in range(args.planted):
            found, lift = _audit_one(empty, 20_000 + seed, args.customers, 3.0)
            first += bool(found) and found[0] == "custom__plan"
            if lift is not None:
                lifts.append(lift)
    print(f"customers per business: {args.customers:,}; false discovery rate 5 %")
    if args.null:
        rate = flagged / args.null
        print(
            f"null businesses:    {flagged} of {args.null} report any finding ({rate:.1%}; goal "
            f"<= 5 %); {null_seconds / args.null:.1f} s per business"
        )
        if what:
            print("  what they reported:", ", ".join(sorted(set(what))))
    if args.planted:
        lift = f"{statistics.median(lifts):.2f}" if lifts else "-"
        print(
            f"planted businesses: plan ranked first in {first} of {args.planted} "
            f"({first / args.planted:.0%}); median lift of plan 'basic' found: {lift}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
