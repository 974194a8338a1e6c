"""How well health ranks who lapses, beside days since the last order and the chosen ranking.

Each generated business (``tenure.analytics.simulate_businesses``: attribute-driven dropout,
homogeneous spend, many one-time buyers, seasonality, a null twin) goes through the real
command line on a fresh database, as a user would run it::

    tenure migrate; tenure import customers customers.csv; tenure import orders orders.csv
    tenure clv fit --observation-end END

and the demo through ``tenure demo --no-serve`` (its fit included). Then the health backtest
(``tenure.lifecycle.health_tuning.health_backtest_run``) on the fit's own split: AUC against who
placed no order in the holdout of health with the default weights, of health with weights fitted
out of time (on the split one holdout earlier, so never on the customers scored), of days since
the last order and of the ranking the fit's backtest chose, all on the same customers and labels.
The generators hold orders only, so their health is recency and the 90-day trends; the demo also
has cases, answers and subscriptions.

    .venv/bin/python benchmarks/health_backtest.py                       # SQLite, 5,000 each
    .venv/bin/python benchmarks/health_backtest.py --customers 10000 --only plan_dropout,demo
    .venv/bin/python benchmarks/health_backtest.py --database postgresql://postgres@127.0.0.1:5432
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from at_risk_backtest import fresh_database, tenure

from tenure.analytics.simulate_businesses import KINDS, generate_business

RUN = """
from tenure.cli.main import setup_django
setup_django()
import json
from tenure.lifecycle.health_tuning import health_backtest_run
run = health_backtest_run()
print(json.dumps({"figures": run.figures, "seconds": run.duration_seconds,
                  "end": str(run.observation_end)}))
"""
COLUMNS = ("health_default", "health_fitted", "days_since_last_order", "chosen")


def backtest(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"the health backtest failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def generated(kind: str, customers: int, seed: int, base: str | None, root: Path) -> dict:
    business = generate_business(kind, customers=customers, seed=seed)
    folder = root / kind
    paths = business.write(folder)
    database = fresh_database(base, f"health_{kind}", folder)
    env = {**os.environ, "TENURE_DATABASE_URL": database, "TENURE_DATA_DIR": str(folder)}
    tenure(env, "migrate")
    tenure(env, "import", "customers", str(paths["customers"]))
    tenure(env, "import", "orders", str(paths["orders"]))
    tenure(env, "clv", "fit", "--observation-end", business.observation_end.isoformat())
    return backtest(env)


def demo(base: str | None, root: Path) -> dict:
    folder = root / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    database = fresh_database(base, "health_demo", folder)
    env = {**os.environ, "TENURE_DATABASE_URL": database, "TENURE_DATA_DIR": str(folder)}
    tenure(env, "demo", "--no-serve")
    return backtest(env)


def line(name: str, result: dict) -> str:
    figures = result["figures"]
    if figures.get("reason"):
        return f"{name:<18} not run: {figures['reason']}"
    rows = {row["key"]: row for row in figures["rows"]}
    cells = []
    for key in COLUMNS:
        auc = rows[key]["auc"]
        cells.append(f"{auc:>8.3f}" if auc is not None else f"{'-':>8}")
    chosen = rows["chosen"]["label"].removeprefix("chosen ranking: ")
    return (
        f"{name:<18} {' '.join(cells)}   h={figures['holdout_days']:>3}d "
        f"n={figures['customers']:>6} lapsed={figures['lapsed']:>6} "
        f"{result['seconds']:5.1f}s  chosen: {chosen}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=None, help="a PostgreSQL server URL (no db name)")
    parser.add_argument("--only", default=",".join([*KINDS, "demo"]))
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name]
    print(f"{'business':<18} {'default':>8} {'fitted':>8} {'days':>8} {'chosen':>8}")
    print(f"{'':<18} {'health AUC':>17} {'since':>8} {'ranking':>8}")
    began = time.perf_counter()
    wins = {"default": 0, "fitted": 0, "n": 0}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            if name == "demo":
                result = demo(args.database, root)
            else:
                result = generated(name, args.customers, args.seed, args.database, root)
            print(line(name, result), flush=True)
            rows = {row["key"]: row["auc"] for row in result["figures"].get("rows", [])}
            if rows.get("days_since_last_order") is not None:
                wins["n"] += 1
                for key in ("default", "fitted"):
                    mine = rows.get(f"health_{key}")
                    wins[key] += int(mine is not None and mine >= rows["days_since_last_order"])
            fitted = result["figures"].get("fitted_weights")
            if fitted:
                print(f"{'':<18} fitted weights: {fitted}")
    print(
        f"health at least days since the last order: default weights in {wins['default']} of "
        f"{wins['n']}, fitted in {wins['fitted']} of {wins['n']} "
        f"({time.perf_counter() - began:.0f} s in all)"
    )


if __name__ == "__main__":
    main()
