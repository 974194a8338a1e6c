"""How long `POST /api/v1/orders` takes to answer, and how soon the customer's stage follows.

    .venv/bin/python benchmarks/api_order_latency.py                        # 100,000 customers
    .venv/bin/python benchmarks/api_order_latency.py --baseline a12361e     # side by side

For each version (this checkout, and ``--baseline REV`` from ``git archive``): a fresh
PostgreSQL database with ``--customers`` customers (``api_ingest.py``'s set-up), a real server
(`tenure serve`) and, for a version that follows events, a real worker (`tenure worker`). One
client posts ``--orders`` orders one at a time, each for a customer drawn at random, on a
keep-alive connection, and times each answer. After each answer it polls the database until the
customer stands in a stage: the stage's lag behind the answer (for the baseline, which placed the
customer before answering, it is ~0).

Prints per version the answer's p50 / p95 / p99 / max in ms, the stage's lag p50 / p95 / max in
ms, and the ratio of the p95s. The machine is shared: compare versions in one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from api_ingest import _child, _free_port, server_start

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def _version(args: argparse.Namespace, label: str, source: Path | None, work: Path) -> dict:
    import psycopg

    name = f"tenure_latency_bench_{os.getpid()}_{label.strip('@') or 'here'}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
    env = {
        **os.environ,
        "TENURE_DATABASE_URL": url,
        "TENURE_DATA_DIR": str(work),
        "TENURE_DEBUG": "0",
    }
    if source is not None:
        env["PYTHONPATH"] = str(source)
    processes: list[subprocess.Popen] = []
    try:
        setup = _child(
            ["--child-setup", str(args.customers)], {**env, "PYTHONPATH": env.get("PYTHONPATH", "")}
        )
        port = _free_port()
        processes.append(server_start(env, port, work / f"server{label}.log"))
        follows = (Path(source or Path(__file__).parents[1] / "src") / "tenure/events").is_dir()
        if follows:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tenure", "worker"], env=env, start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            time.sleep(5)  # the worker is up
        rng = random.Random(args.seed)
        ids = setup["customer_ids"]
        answers: list[float] = []
        lags: list[float] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {setup['token']}", "Content-Type": "application/json"}
        start = datetime(2025, 1, 1, tzinfo=UTC)
        with psycopg.connect(url, autocommit=True) as db:
            for n in range(args.orders):
                customer = rng.choice(ids)
                body = {
                    "external_id": f"L{n:07d}", "customer_id": customer, "currency": "EUR",
                    "amount": f"{rng.randrange(100, 30000) / 100:.2f}",
                    "placed_at": (start + timedelta(minutes=rng.randrange(500_000))).isoformat(),
                }  # fmt: skip
                began = time.perf_counter()
                connection.request("POST", "/api/v1/orders", json.dumps(body), headers)
                response = connection.getresponse()
                response.read()
                answered = time.perf_counter()
                if response.status != 201:
                    raise SystemExit(f"POST /orders answered {response.status}")
                answers.append(answered - began)
                while not db.execute(
                    "SELECT 1 FROM lifecycle_customerstage WHERE customer_id = %s", [customer]
                ).fetchone():
                    if time.perf_counter() - answered > 60:
                        raise SystemExit(f"customer {customer} was not placed within 60 s")
                    time.sleep(0.005)
                lags.append(time.perf_counter() - answered)
        return {"answers": answers, "lags": lags, "follows": follows}
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--baseline", metavar="REV", help="also run the code of this git revision")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="tenure-latency-") as tmp:
        work = Path(tmp)
        sources: dict[str, Path | None] = {"": None}
        if args.baseline:
            base = work / "baseline"
            base.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.baseline, "src"], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            sources[f"@{args.baseline}"] = base / "src"
        for label, source in sources.items():
            results[label or "this checkout"] = _version(args, label, source, work)
    print(f"\n{args.orders} orders posted one by one, {args.customers:,} customers")
    for label, result in results.items():
        answers = [1000 * x for x in result["answers"]]
        lags = [1000 * x for x in result["lags"]]
        print(
            f"{label:>20}: answer p50 {statistics.median(answers):7.1f} ms, "
            f"p95 {_quantile(answers, 0.95):7.1f}, p99 {_quantile(answers, 0.99):7.1f}, "
            f"max {max(answers):7.1f}; stage lag p50 {statistics.median(lags):7.1f} ms, "
            f"p95 {_quantile(lags, 0.95):7.1f}, max {max(lags):7.1f}"
        )
    if len(results) == 2:
        here, base = results.values()
        ratio = _quantile(here["answers"], 0.95) / _quantile(base["answers"], 0.95)
        print(f"answer p95 ratio (this / baseline): {ratio:.2f}")


if __name__ == "__main__":
    main()
