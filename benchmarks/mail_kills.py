"""Exactly once under SIGKILL: 10,000 messages sent by a real `tenure worker` that is killed
(SIGKILL, its whole process group) at random moments and started again.

    .venv/bin/python benchmarks/mail_kills.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/mail_kills.py --messages 10000 --kills 20

A fresh database, ``--messages`` transactional messages over 500 customers, an SMTP server on
loopback in its own process, the lease (TENURE_MAIL_LEASE_SECONDS) 5 s so a dead sender's claims
are settled quickly (batches of 20, sent well within it). Each round starts the worker, waits
until it has sent something, then kills it after a random 0-1.5 s; after the last kill a worker
runs until every message is final.
Checks, and exits 1 if any fails: no key received twice; every message final; unknown no more
than the kills; every message recorded sent arrived; every arrival is sent or unknown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from mail_common import SmtpServer, django_setup, fresh_database, migrate


def worker_start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_kill(worker: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument(
        "--pg-database", default="tenure_mail_bench_kills", help="made afresh for the run"
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    options = parser.parse_args()
    rng = random.Random(options.seed)

    server = SmtpServer()
    try:
        url = fresh_database(options.pg, options.pg_database)
        env = {
            "TENURE_DATABASE_URL": url, "TENURE_SMTP_URL": server.url,
            "TENURE_MAIL_LEASE_SECONDS": "5", "TENURE_MAIL_BATCH": "20",
            "TENURE_DATA_DIR": "/tmp/tenure-mail-bench", "TENURE_WORKERS": "1",
        }  # fmt: skip
        django_setup(url, **env)
        migrate()
        from tenure.customers.models import Customer
        from tenure.mail.models import FINAL, Message
        from tenure.mail.services import NewMessage, messages_queue

        now = datetime.now(UTC)
        Customer.objects.bulk_create(
            [Customer(external_id=f"K{n}", email=f"k{n}@example.com", created_at=now)
             for n in range(500)]
        )  # fmt: skip
        ids = list(Customer.objects.values_list("pk", flat=True))
        messages_queue(
            (
                NewMessage(source="kills", occurrence=str(n), customer_id=ids[n % len(ids)],
                           kind="transactional", subject=f"Message {n}", text="Hello",
                           due_at=now)
                for n in range(options.messages)
            ),
            now=now,
        )  # fmt: skip
        began = time.perf_counter()
        for round_ in range(options.kills):
            worker = worker_start(env)
            before = sum(server.received().values())
            deadline = time.monotonic() + 60
            while sum(server.received().values()) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
            worker_kill(worker)
            print(f"kill {round_ + 1}: {sum(server.received().values()):,} received")
        worker = worker_start(env)
        deadline = time.monotonic() + 1800
        while Message.objects.exclude(status__in=FINAL).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
        worker_kill(worker)
        seconds = time.perf_counter() - began

        received = server.received()
        statuses = Counter(Message.objects.values_list("status", flat=True))
        sent = set(Message.objects.filter(status="sent").values_list("key", flat=True))
        unknown = set(Message.objects.filter(status="unknown").values_list("key", flat=True))
        checks = {
            "no key received twice": max(received.values()) == 1,
            "every message final": sum(statuses[s] for s in FINAL) == options.messages,
            f"unknown ({statuses['unknown']}) <= kills ({options.kills})": statuses["unknown"]
            <= options.kills,
            "every message recorded sent arrived": sent <= set(received),
            "every arrival is sent or unknown": set(received) <= sent | unknown,
        }
        print(f"{options.messages:,} messages, {options.kills} kills: {seconds:.0f} s")
        print(f"statuses: {dict(statuses)}; received {sum(received.values()):,}, "
              f"distinct {len(received):,}")  # fmt: skip
        for name, passed in checks.items():
            print(f"  {'ok  ' if passed else 'FAIL'} {name}")
        return 0 if all(checks.values()) else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
