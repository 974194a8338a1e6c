"""How fast the REST API ingests orders: `POST /api/v1/orders/bulk` from concurrent clients.

    .venv/bin/python benchmarks/api_ingest.py                      # 200,000 orders, 4 clients
    .venv/bin/python benchmarks/api_ingest.py --orders 20000 --clients 8

Creates a fresh PostgreSQL database for the run (dropped after it, as `import_orders.py` does),
migrates it and, in a child process, creates the customers the orders belong to, an admin and
an API token. Then starts a real server (`tenure serve`, waitress, on a free loopback port) and
posts the orders in batches of up to 1,000 from ``--clients`` threads, each with its own
keep-alive connection (`http.client`), every batch with its own `Idempotency-Key`. Some
batches are sent again with the same key (``--retry-share``, 5 % by default): half of them
after the first answer came back (a client that lost the answer), half at the same moment from
two clients (a retry racing the original). Every retry must be answered with the first
answer's status and body, replayed, never executed twice.

Prints orders/s (orders sent once / wall time of the posting), the server process's CPU time
per order (on Linux; steadier than wall time on a shared machine), requests, retries and
replays, then counts the orders stored: exactly ``--orders`` distinct orders, or the script exits 1.
Target: at least 2,000 orders/s on PostgreSQL with 4 clients.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import queue
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BULK_PATH = "/api/v1/orders/bulk"
BULK_MAX = 1000  # tenure.orders.services.BULK_MAX
SERVER_ERROR_RETRIES = 8


# --- the child process: Django set up on the fresh database -----------------------------------


def child_setup(customers: int) -> None:
    """Migrate, create the customers, an admin and a token; print what the clients need."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from tenure.customers.models import Customer
    from tenure.orders.models import Order
    from tenure.users.models import Role
    from tenure.users.services import api_token_create, user_create

    call_command("migrate", verbosity=0)
    now = timezone.now()
    Customer.objects.bulk_create(
        (
            Customer(external_id=f"C{n:07d}", first_name="Bench", last_name=f"{n}", created_at=now)
            for n in range(customers)
        ),
        batch_size=5000,
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    admin = user_create(username="bench-admin", password=secrets.token_urlsafe(), role=Role.ADMIN)
    _, token = api_token_create(user=admin, name="api_ingest benchmark")
    print(json.dumps({"token": token, "customer_ids": ids, "orders_table": Order._meta.db_table}))


def child_count() -> None:
    """Count what was stored: orders, distinct external ids, and the customers' cached
    figures (which must add up to the completed orders)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.db.models import Count, F, Q, Sum

    from tenure.customers.models import Customer
    from tenure.orders.models import Order

    orders = Order.objects.aggregate(n=Count("id"), distinct=Count("external_id", distinct=True))
    completed = Order.objects.filter(status="completed").count()
    cached = Customer.objects.aggregate(n=Sum("orders_count"))["n"] or 0
    wrong = (
        Customer.objects.annotate(real=Count("orders", filter=Q(orders__status="completed")))
        .exclude(orders_count=F("real"))
        .count()
    )
    print(
        json.dumps(
            {**orders, "completed": completed, "cached_completed": cached, "wrong_figures": wrong}
        )
    )


def _child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the orders and the clients --------------------------------------------------------------


def batches_build(
    *, orders: int, customer_ids: list[int], batch_size: int, seed: int
) -> list[bytes]:
    """The request bodies: ``orders`` orders in batches, customers drawn at random."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    bodies = []
    for first in range(0, orders, batch_size):
        items = []
        for n in range(first, min(first + batch_size, orders)):
            placed = start + timedelta(seconds=n * 300 + rng.randrange(300))
            items.append(
                {
                    "external_id": f"API-{n + 1:08d}",
                    "customer_id": rng.choice(customer_ids),
                    "placed_at": placed.isoformat(),
                    "amount": f"{rng.randrange(500, 50_000) / 100:.2f}",
                    "currency": "USD",
                    "status": "refunded" if rng.random() < 0.05 else "completed",
                }
            )
        bodies.append(json.dumps({"orders": items}).encode())
    return bodies


@dataclass
class Send:
    batch: int
    key: str
    kind: str  # "first", "retry" (after the first answer), "race" (beside the first)
    after: threading.Event | None = None  # a retry waits for the first answer
    together: threading.Barrier | None = None  # a race starts with its twin


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    replayed: int = 0
    created: int = 0
    item_errors: int = 0
    server_errors: int = 0  # answered 5xx (or 409) and sent again
    errors_seen: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    answers: dict[int, list[tuple[bool, int, str]]] = field(default_factory=dict)


def plan(batches: int, retry_share: float, clients: int, seed: int) -> list[Send]:
    """The sends in order: every batch once, some again (retries after, races beside)."""
    rng = random.Random(seed + 1)
    sends: list[Send] = []
    pending_retries: list[Send] = []
    for batch in range(batches):
        key = f"bench-{batch:06d}"
        if rng.random() >= retry_share:
            sends.append(Send(batch, key, "first"))
        elif clients > 1 and rng.random() < 0.5:
            barrier = threading.Barrier(2, timeout=60)
            # Side by side in the queue: two clients take them one after the other.
            sends.append(Send(batch, key, "first", together=barrier))
            sends.append(Send(batch, key, "race", together=barrier))
        else:
            answered = threading.Event()
            sends.append(Send(batch, key, "first", after=answered))
            pending_retries.append(Send(batch, key, "retry", after=answered))
        # A retry goes a few batches later, as a client would after a timeout.
        while pending_retries and pending_retries[0].batch < batch - 3:
            sends.append(pending_retries.pop(0))
    return sends + pending_retries


def _post(
    connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]
) -> tuple[int, bool, bytes]:
    """POST one batch: (status, whether it was a replay, body); reconnects if the server closed
    the kept-alive connection."""
    for attempt in range(3):
        try:
            connection.request("POST", BULK_PATH, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.getheader("Idempotent-Replayed") == "true", payload
        except (http.client.HTTPException, OSError):
            connection.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def client_run(port: int, token: str, bodies: list[bytes], work: queue.Queue, tally: Tally) -> None:
    """Take sends from ``work`` until none is left. A server error (5xx, or 409: the first
    request with the key failed) is retried with the same key, as a client should: the failed
    request left nothing behind."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while True:
        try:
            send: Send = work.get_nowait()
        except queue.Empty:
            break
        if send.kind == "retry" and send.after is not None:
            send.after.wait(timeout=600)
        if send.together is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                send.together.wait()  # if the twin is late, send anyway: still a retry
        headers = {**auth, "Idempotency-Key": send.key}
        for attempt in range(SERVER_ERROR_RETRIES + 1):
            status, replayed, payload = _post(connection, bodies[send.batch], headers)
            with tally.lock:
                tally.requests += 1
                if status >= 500 or status == 409:
                    tally.server_errors += 1
                    tally.errors_seen.add(payload[:300].decode(errors="replace"))
            if not (status >= 500 or status == 409) or attempt == SERVER_ERROR_RETRIES:
                break
            time.sleep(0.2 * 2**attempt)
        digest = hashlib.sha256(payload).hexdigest()
        with tally.lock:
            tally.replayed += replayed
            tally.answers.setdefault(send.batch, []).append((replayed, status, digest))
            if status != 200:
                tally.problems.append(f"batch {send.batch}: HTTP {status} {payload[:200]!r}")
            elif not replayed:
                results = json.loads(payload)["results"]
                tally.created += sum(r["status"] == "created" for r in results)
                tally.item_errors += sum(r["status"] == "error" for r in results)
        if send.after is not None and send.kind == "first":
            send.after.set()


def answers_check(tally: Tally, batches: int) -> list[str]:
    """Every batch executed exactly once; every retry answered with the first answer."""
    problems = []
    for batch in range(batches):
        answers = tally.answers.get(batch, [])
        executed = [a for a in answers if not a[0]]
        if len(executed) != 1:
            problems.append(f"batch {batch} executed {len(executed)} times")
        if len({(status, digest) for _, status, digest in answers}) > 1:
            problems.append(f"batch {batch}: a retry got another answer than the first")
    return problems


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_start(
    env: dict[str, str], port: int, log: Path, profile: str | None = None
) -> subprocess.Popen:
    command = [sys.executable, "-m", "tenure", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if profile:  # sample the server with py-spy (pip install py-spy; not a dependency)
        spy = Path(sys.executable).with_name("py-spy")
        command = [
            str(spy),
            "record",
            "--format",
            "raw",
            "-r",
            "200",
            "-o",
            profile,
            "--",
            *command,
        ]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux: /proc), None elsewhere.

    Wall time on a shared machine measures the neighbours as much as the server; the server's
    own CPU time per order does not, and compares two versions run minutes apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace, database_url: str, work: Path) -> int:
    env = {
        **os.environ,
        "TENURE_DATABASE_URL": database_url,
        "TENURE_DATA_DIR": str(work),
        "TENURE_DEBUG": "0",
    }
    started = time.perf_counter()
    setup = _child(["--child-setup", str(args.customers)], env)
    bodies = batches_build(
        orders=args.orders,
        customer_ids=setup["customer_ids"],
        batch_size=args.batch_size,
        seed=args.seed,
    )
    sends = plan(len(bodies), args.retry_share, args.clients, args.seed)
    retries = sum(s.kind == "retry" for s in sends)
    races = sum(s.kind == "race" for s in sends)
    print(
        f"set up {args.customers:,} customers, {len(bodies):,} batches of up to "
        f"{args.batch_size:,} in {time.perf_counter() - started:.1f} s; "
        f"{retries} retried after the answer, {races} raced"
    )

    port = _free_port()
    server = server_start(env, port, work / "server.log", args.profile)
    tally = Tally()
    try:
        todo: queue.Queue[Send] = queue.Queue()
        for send in sends:
            todo.put(send)
        threads = [
            threading.Thread(
                target=client_run, args=(port, setup["token"], bodies, todo, tally), daemon=True
            )
            for _ in range(args.clients)
        ]
        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        cpu_after = cpu_seconds(server.pid)
    finally:
        # The server's process group: py-spy too, when profiling (it writes its file then).
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()

    stored = _child(["--child-count"], env)
    problems = tally.problems + answers_check(tally, len(bodies))
    if stored["n"] != args.orders or stored["distinct"] != args.orders:
        problems.append(f"stored {stored['n']:,} orders ({stored['distinct']:,} distinct)")
    if stored["wrong_figures"] or stored["completed"] != stored["cached_completed"]:
        problems.append(
            f"{stored['wrong_figures']:,} customers' cached order counts differ from their "
            f"orders ({stored['cached_completed']:,} counted, {stored['completed']:,} stored)"
        )
    if tally.created != args.orders or tally.item_errors:
        problems.append(f"{tally.created:,} created and {tally.item_errors:,} refused")

    print(f"\nclients                     {args.clients}")
    print(f"orders posted               {args.orders:,}")
    print(f"seconds                     {seconds:.1f}")
    print(f"orders/s                    {args.orders / seconds:,.0f}")
    if cpu_before is not None and cpu_after is not None and not args.profile:
        cpu = cpu_after - cpu_before
        print(f"server CPU s                {cpu:.1f} ({1000 * cpu / args.orders:.2f} ms/order)")
    print(f"requests                    {tally.requests:,} ({tally.requests / seconds:.1f}/s)")
    print(f"retries (after, raced)      {retries + races} ({retries}, {races})")
    print(f"answers replayed            {tally.replayed}")
    print(f"server errors, sent again   {tally.server_errors}")
    for error in sorted(tally.errors_seen)[:5]:
        print(f"  {error}")
    print(f"orders stored               {stored['n']:,} (expected {args.orders:,})")
    for problem in problems[:20]:
        print(f"PROBLEM: {problem}")
    if problems:
        print(f"\nthe server's log ends:\n{(work / 'server.log').read_text()[-6000:]}")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=BULK_MAX)
    parser.add_argument("--retry-share", type=float, default=0.05, help="batches sent twice")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument(
        "--profile", metavar="FILE", help="sample the server with py-spy into FILE (collapsed)"
    )
    parser.add_argument("--child-setup", type=int, metavar="CUSTOMERS", help=argparse.SUPPRESS)
    parser.add_argument("--child-count", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_setup is not None:
        child_setup(args.child_setup)
        return
    if args.child_count:
        child_count()
        return
    if not 1 <= args.batch_size <= BULK_MAX or args.orders < 1 or args.clients < 1:
        parser.error(f"--orders and --clients at least 1, --batch-size 1 to {BULK_MAX}")

    import psycopg

    name = f"tenure_api_bench_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="tenure-api-bench-") as tmp:
            code = run(args, args.pg_url.rsplit("/", 1)[0] + f"/{name}", Path(tmp))
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(code)


if __name__ == "__main__":
    main()
