"""A webhook receiver that fails 30 % of the time follows an import of orders: every event once.

    .venv/bin/python benchmarks/webhooks_import.py                 # 100,000 orders
    .venv/bin/python benchmarks/webhooks_import.py --orders 20000

A fresh PostgreSQL database; an endpoint for a receiver on loopback (in this process, a
threaded HTTP server that answers 500 to 30 % of requests at random and 200 to the others,
checking every signature); `tenure import orders` of ``--orders`` orders of ``--customers``
customers; then a real `tenure worker`, with the retry schedule compressed
(``TENURE_WEBHOOKS_RETRY_SCALE``, 0.002 by default: 10 s becomes 20 ms, 24 h 173 s), until every
delivery is delivered or given up.

Checks, and exits 1 if any fails: the keys received with a 200 are exactly the events' keys
(after de-duplication by key: a 200 whose answer was lost may be sent again), each customer's
events were first received in their order, and no delivery gave up. Prints the time to import,
to follow, and requests, failures and duplicates.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def child_setup(url: str) -> None:
    """Migrate; create the endpoint; print its secret and where it starts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from tenure.webhooks.services import endpoint_create

    call_command("migrate", verbosity=0)
    endpoint, secret = endpoint_create(by=None, url=url)
    print(json.dumps({"secret": secret, "endpoint": endpoint.pk}))


def child_report() -> None:
    """The events the endpoint follows (key, customer, order) and the deliveries' states."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.db.models import Count

    from tenure.webhooks.models import Delivery

    states = dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
    rows = Delivery.objects.order_by("event__tx", "event_id").values_list(
        "event__key", "event__customer_id"
    )
    print(json.dumps({"states": states, "events": list(rows)}))


def _child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fail_share: float, seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = b""
        self.rng = random.Random(seed)
        self.fail_share = fail_share
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, int | None]] = []  # (key, customer), in order
        self.requests = self.failed = self.bad_signatures = 0


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a web server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp = self.headers["Tenure-Timestamp"]
        signed = hmac.new(self.server.secret, f"{stamp}.".encode() + body, hashlib.sha256)
        good = self.headers["Tenure-Signature"] == f"v1={signed.hexdigest()}"
        with self.server.lock:
            self.server.requests += 1
            fail = self.server.rng.random() < self.server.fail_share
            if not good:
                self.server.bad_signatures += 1
            elif fail:
                self.server.failed += 1
            else:
                event = json.loads(body)
                self.server.accepted.append((event["key"], event["customer_id"]))
        self.send_response(500 if fail or not good else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def run(args: argparse.Namespace, url: str, work: Path) -> int:
    env = {**os.environ, "TENURE_DATABASE_URL": url, "TENURE_DATA_DIR": str(work),
           "TENURE_WEBHOOKS_ALLOW_PRIVATE": "1",
           "TENURE_WEBHOOKS_RETRY_SCALE": str(args.retry_scale)}  # fmt: skip
    receiver = Receiver(args.fail_share, args.seed)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    setup = _child(["--child-setup", f"http://127.0.0.1:{receiver.server_address[1]}/hook"], env)
    receiver.secret = setup["secret"].encode()
    rng = random.Random(args.seed)
    csv_path = work / "orders.csv"
    with csv_path.open("w") as out:
        out.write("order_id,customer_id,placed_at,amount\n")
        for n in range(args.orders):
            day = f"2025-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
            out.write(
                f"W{n:07d},C{rng.randrange(args.customers):06d},{day},{rng.randrange(1, 500)}.00\n"
            )
    began = time.perf_counter()
    imported = subprocess.run(
        [sys.executable, "-m", "tenure", "import", "orders", str(csv_path), "--quiet"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    import_seconds = time.perf_counter() - began
    if imported.returncode != 0:
        raise SystemExit(f"the import failed:\n{imported.stderr[-3000:]}")
    began = time.perf_counter()
    worker = subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=(work / "worker.log").open("wb"),
    )  # fmt: skip
    try:
        while True:
            time.sleep(5)
            report = _child(["--child-report"], env)
            pending = report["states"].get("pending", 0)
            print(f"  {time.perf_counter() - began:6.0f} s: {report['states']}", flush=True)
            if report["events"] and not pending:
                break
            if time.perf_counter() - began > args.timeout:
                print("PROBLEM: not every delivery was done in time")
                break
    finally:
        worker.send_signal(signal.SIGTERM)  # the worker stops its cluster's processes itself
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print("note: the worker did not stop within 15 s of SIGTERM; killed; it was at:")
            os.kill(worker.pid, signal.SIGUSR1)
            time.sleep(1)
            print((work / "worker.log").read_text()[-5000:])
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    follow_seconds = time.perf_counter() - began
    events = [tuple(row) for row in report["events"]]
    problems = []
    keys = [key for key, _ in events]
    received = {key for key, _ in receiver.accepted}
    if received != set(keys):
        problems.append(f"{len(set(keys) - received)} events never received, "
                        f"{len(received - set(keys))} unknown keys received")  # fmt: skip
    first: dict[str, int] = {}
    for position, (key, _) in enumerate(receiver.accepted):
        first.setdefault(key, position)
    by_customer: dict[int | None, list[int]] = {}
    for key, customer in events:
        if customer is not None and key in first:
            by_customer.setdefault(customer, []).append(first[key])
    out_of_order = sum(1 for seen in by_customer.values() if seen != sorted(seen))
    if out_of_order:
        problems.append(f"{out_of_order} customers' events were first received out of order")
    if report["states"].get("failed"):
        problems.append(f"{report['states']['failed']} deliveries gave up")
    if receiver.bad_signatures:
        problems.append(f"{receiver.bad_signatures} requests with a wrong signature")
    duplicates = len(receiver.accepted) - len(received)
    print(
        f"\norders imported              {args.orders:,} ({import_seconds:.1f} s, events included)"
    )
    print(f"events followed              {len(events):,} in {follow_seconds:.0f} s")
    print(f"requests                     {receiver.requests:,} ({receiver.failed:,} answered 500)")
    print(f"received twice (deduplicated) {duplicates:,}")
    print(
        f"customers, in order          {len(by_customer) - out_of_order:,} of {len(by_customer):,}"
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--fail-share", type=float, default=0.30)
    parser.add_argument("--retry-scale", type=float, default=0.002)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--child-setup", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--child-report", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_setup:
        child_setup(args.child_setup)
        return
    if args.child_report:
        child_report()
        return
    import psycopg

    name = f"tenure_hooks_bench_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="tenure-hooks-bench-") as tmp:
            code = run(args, args.pg_url.rsplit("/", 1)[0] + f"/{name}", Path(tmp))
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(code)


if __name__ == "__main__":
    main()
