"""Race-free cap: senders in 8 processes, 1,000 customers with 20 messages each due at once,
a cap of 3 a day: nobody gets more than 3, nothing is lost, nothing arrives twice.

    .venv/bin/python benchmarks/mail_race.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/mail_race.py --processes 8 --customers 1000 --per-customer 20

A fresh PostgreSQL database (SQLite: leave out --pg; its one writer makes the race moot);
``--processes`` runs of `tenure send-due` started together against one SMTP server on loopback.
Checks, and exits 1 if any fails: at most ``--cap`` messages received per customer, exactly
min(cap, per-customer) sent per customer (the highest priorities), the rest deferred with a
reason, no key received twice. Prints the time and the statuses.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter

from mail_common import SmtpServer, django_setup, fresh_database, migrate, populate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--per-customer", type=int, default=20)
    parser.add_argument("--cap", type=int, default=3)
    options = parser.parse_args()

    server = SmtpServer()
    try:
        url = fresh_database(options.pg, "tenure_mail_bench_race")
        env = {
            "TENURE_SMTP_URL": server.url, "TENURE_MAIL_QUIET_HOURS": "",
            "TENURE_MAIL_CAP": f"{options.cap}/1d", "TENURE_MAIL_BATCH": "50",
            "TENURE_DATA_DIR": "/tmp/tenure-mail-bench",
        }  # fmt: skip
        django_setup(url, **env)
        migrate()
        populate(customers=options.customers, per_customer=options.per_customer)
        began = time.perf_counter()
        senders = [
            subprocess.Popen(
                [sys.executable, "-m", "tenure", "send-due"],
                env={**os.environ, **env, "TENURE_DATABASE_URL": url},
                stdout=subprocess.DEVNULL,
            )
            for _ in range(options.processes)
        ]
        codes = [sender.wait() for sender in senders]
        seconds = time.perf_counter() - began

        from tenure.mail.models import Message

        received = server.received()
        per_customer = Counter(key.split(":")[2] for key in received)
        statuses = Counter(Message.objects.values_list("status", flat=True))
        expected_sent = min(options.cap, options.per_customer)
        sent_steps = Counter(Message.objects.filter(status="sent").values_list("step", flat=True))
        highest = {str(step) for step in range(options.per_customer - expected_sent,
                                               options.per_customer)}  # fmt: skip
        checks = {
            "every sender ended well": all(code == 0 for code in codes),
            "no key received twice": not received or max(received.values()) == 1,
            f"nobody received more than {options.cap}": max(per_customer.values()) <= options.cap,
            f"everyone received {expected_sent}": len(per_customer) == options.customers
            and set(per_customer.values()) == {expected_sent},
            "the highest priorities went": set(sent_steps) == highest,
            "nothing lost (sent + deferred = all)": statuses["sent"] + statuses["deferred"]
            == options.customers * options.per_customer,
            "sent = received": statuses["sent"] == sum(received.values()),
        }
        shape = f"{options.customers:,} customers x {options.per_customer} messages"
        print(f"{options.processes} processes, {shape}, cap {options.cap}/1d: {seconds:.1f} s")
        print(f"statuses: {dict(statuses)}; received {sum(received.values()):,}")
        for name, passed in checks.items():
            print(f"  {'ok  ' if passed else 'FAIL'} {name}")
        return 0 if all(checks.values()) else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
