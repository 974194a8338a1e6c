"""The cockpit's reads at scale: a customer's and an account's timeline page, "My day" of a
success manager, and the notifications consumer over a batch of task events.

    TENURE_DATABASE_URL=... .venv/bin/python benchmarks/cockpit.py
    .venv/bin/python benchmarks/cockpit.py --customers 20000 --orders 200000

Migrates the database ``TENURE_DATABASE_URL`` names (SQLite in ``TENURE_DATA_DIR`` without one;
it must be empty), loads the business of ``benchmarks/pages.py`` (20 owners; owner2 a success
manager, who owns a twentieth of the customers), and times each read ``--repeat`` times
(median, in seconds). Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
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
    parser.add_argument("--tasks", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from pages import business_generate, business_load

    from tenure.customers.models import Account, Customer
    from tenure.customers.selectors import account_timeline, customer_timeline
    from tenure.events.consumers import consumer_drain, consumer_position
    from tenure.notifications.following import NOTIFY
    from tenure.notifications.models import Notification
    from tenure.notifications.selectors import my_day
    from tenure.todos.services import task_create
    from tenure.users.models import User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    business_load(business_generate(customers=args.customers, orders=args.orders))
    print(f"{connection.vendor}: loaded {args.customers:,} customers, {args.orders:,} orders in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    busiest = Customer.objects.order_by("-orders_count").first()
    account = Account.objects.annotate(n=Count("customers")).order_by("-n").first()
    assert busiest is not None and account is not None
    first = customer_timeline(customer=busiest)
    cursor = first.next_cursor
    customers = account.customers.all()
    sam = User.objects.get(username="owner2")
    reads: dict[str, Callable[[], Any]] = {
        f"customer timeline, first page ({busiest.orders_count} orders)": lambda: customer_timeline(
            customer=busiest
        ),
        "customer timeline, second page": lambda: customer_timeline(
            customer=busiest, before=cursor
        ),
        f"account timeline ({customers.count():,} customers)": lambda: account_timeline(
            account=account, customers=customers
        ),
        f"My day ({Customer.objects.filter(owner=sam).count():,} customers)": lambda: my_day(
            user=sam
        ),
    }
    for name, read in reads.items():
        print(f"{name}: {_median(read, args.repeat):.3f} s")

    consumer_position(NOTIFY)
    boss = User.objects.get(username="owner1")
    ids = list(Customer.objects.filter(owner=sam).values_list("pk", flat=True)[: args.tasks])
    due = date.today() + timedelta(days=3)
    for n in range(args.tasks):
        task_create(by=boss, title=f"Call {n}", owner=sam, due=due,
                    customer_id=ids[n % len(ids)])  # fmt: skip
    started = time.perf_counter()
    consumer_drain(NOTIFY)
    took = time.perf_counter() - started
    made = Notification.objects.filter(recipient=sam).count()
    print(f"notifications consumer: {args.tasks:,} task events -> {made:,} notifications "
          f"in {took:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
