"""The at-risk ranking against the truth, on businesses none of the models describes, and CDNOW.

Each generated business (``tenure.analytics.simulate_businesses``: attribute-driven dropout,
homogeneous spend, many one-time buyers, seasonality, a null twin) goes through the real
command line on a fresh database, as a user would run it::

    tenure migrate; tenure import customers customers.csv; tenure import orders orders.csv
    tenure clv fit --observation-end END; tenure export customers out.csv --insights

and the churn risk tenure stored (the ranking its backtest chose) is scored against the truth
the generator kept: AUC against who had truly dropped out by the observation end, and against
who placed no order in the following year. Beside it, in the same run: the AUC of days since the
last order (the naive baseline) and of every candidate ranking fitted on the same history, the
share of the top 10 % who truly lapsed, and each model's fit status. CDNOW: the 39-week
calibration (1997-01-01 .. 1997-09-30) imported as orders, the 39-week holdout as the truth.

Then the speed figures: the fit of BG/NBD + Gamma-Gamma on 1M customers (the analytics goal,
< 1 s) and the backtest of 1M customers (< 30 s).

    .venv/bin/python benchmarks/at_risk_backtest.py                 # all, SQLite, 10,000 each
    .venv/bin/python benchmarks/at_risk_backtest.py --customers 20000 --database postgresql://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/at_risk_backtest.py --only cdnow,seasonal --skip-speed
    .venv/bin/python benchmarks/at_risk_backtest.py --only ""                 # speed only
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

import numpy as np
import pandas as pd

from tenure.analytics.backtest import (
    MODELS,
    RANKINGS,
    Customers,
    auc,
    backtest_rankings,
    ranking_scores,
    summarise,
    top_share,
    typical_gap,
)
from tenure.analytics.simulate_businesses import KINDS, generate_business

ROOT = Path(__file__).resolve().parent.parent
CDNOW = ROOT / "tests" / "analytics" / "data" / "CDNOW_sample.txt"
TENURE = [sys.executable, "-m", "tenure"]
DUMP_FIT = """
from tenure.cli.main import setup_django
setup_django()
import json
from tenure.insights.models import ModelFit
fit = ModelFit.objects.order_by("-id").first()
print(json.dumps({"status": fit.status, "error": fit.error, "params": fit.params,
                  "backtest": fit.backtest, "purchase_model": fit.purchase_model,
                  "seconds": fit.duration_seconds}))
"""


def tenure(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*TENURE, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: an import with rejected rows still stored the rest
        raise SystemExit(f"tenure {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start, done.stdout + done.stderr


def fresh_database(base: str | None, name: str, folder: Path) -> str:
    if base is None:
        return f"sqlite:///{folder / 'tenure.sqlite3'}"
    import psycopg

    database = f"tenure_bench_{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{database}"


def through_the_cli(
    folder: Path, database: str, customers: Path | None, orders: Path, end: str
) -> dict[str, Any]:
    env = {**os.environ, "TENURE_DATABASE_URL": database, "TENURE_DATA_DIR": str(folder)}
    tenure(env, "migrate")
    seconds = 0.0
    if customers is not None:
        seconds += tenure(env, "import", "customers", str(customers))[0]
    seconds += tenure(env, "import", "orders", str(orders))[0]
    fit_seconds, fit_output = tenure(env, "clv", "fit", "--observation-end", end)
    exported = folder / "export.csv"
    tenure(env, "export", "customers", str(exported), "--insights")
    dumped = subprocess.run(
        [sys.executable, "-c", DUMP_FIT], env=env, capture_output=True, text=True, check=True
    )
    return {
        "import_seconds": seconds,
        "fit_seconds": fit_seconds,
        "fit_output": fit_output,
        "export": pd.read_csv(exported, dtype={"customer_id": str}),
        "fit": json.loads(dumped.stdout.strip().splitlines()[-1]),
    }


def observed_summary(orders: pd.DataFrame, end: pd.Timestamp) -> tuple[Customers, np.ndarray]:
    """The same daily summary the app fits on, from the orders file (completed, to ``end``)."""
    done = orders[orders["status"] == "completed"]
    day = pd.to_datetime(done["placed_at"]).dt.floor("D")
    keep = day <= end
    codes, ids = pd.factorize(done.loc[keep, "customer_id"])
    days = ((day[keep] - pd.Timestamp("1970-01-01")).dt.days).to_numpy()
    data, _ = summarise(codes, days, end=(end - pd.Timestamp("1970-01-01")).days)
    return data, np.asarray(ids)[data.ids]


def candidate_aucs(data: Customers, truth: np.ndarray) -> tuple[dict[str, float | str], dict]:
    """AUC against ``truth`` of every candidate ranking fitted on the whole observed history."""
    gap = typical_gap(data)
    out: dict[str, float | str] = {}
    for key, ranking in RANKINGS.items():
        model = None
        if ranking.model is not None:
            try:
                model = MODELS[ranking.model](max_seconds=30).fit(
                    data.frequency, data.recency, data.T
                )
            except ValueError as error:
                out[key] = f"not fitted ({str(error)[:40]}...)"
                continue
        out[key] = auc(ranking_scores(key, data, model=model, gap=gap), truth)
    return out, {}


def model_status(fit: dict[str, Any]) -> str:
    parts = []
    for name, entry in fit["params"].items():
        if "error" in entry:
            parts.append(f"{name}: FAILED ({entry['error'][:70]})")
        elif "boundary" in entry:
            parts.append(f"{name}: boundary ({entry['boundary']})")
        else:
            parts.append(f"{name}: ok")
    return "; ".join(parts)


def report(name: str, result: dict[str, Any], truths: dict[str, np.ndarray],
           data: Customers, ids: np.ndarray) -> dict[str, Any]:  # fmt: skip
    export = result["export"].set_index("customer_id")
    risk = export.loc[ids, "churn_risk"].to_numpy(dtype=float)
    fit = result["fit"]
    backtest = fit["backtest"]
    print(f"\n=== {name}: {data.ids.size:,} buyers; import {result['import_seconds']:.1f} s, "
          f"clv fit {result['fit_seconds']:.1f} s (fit itself {fit['seconds']:.1f} s); "
          f"status {fit['status']}")  # fmt: skip
    print(f"    models: {model_status(fit)}")
    print(f"    purchase model {fit['purchase_model']}; backtest h = {backtest['holdout_days']} "
          f"days chose {backtest['chosen']} (in-app backtest AUCs: "
          + ", ".join(f"{c['key']} {c['auc']:.3f}" if c["auc"] is not None else
                      f"{c['key']} -" for c in backtest["candidates"]) + ")")  # fmt: skip
    row: dict[str, Any] = {"business": name, "chosen": backtest["chosen"]}
    for truth_name, truth in truths.items():
        used = auc(risk, truth)
        candidates, _ = candidate_aucs(data, truth)
        baseline = candidates["days_since_last_order"]
        top = top_share(risk, truth, 0.1)
        verdict = "OK" if used >= float(baseline) - 1e-12 else "BELOW BASELINE"
        print(f"    truth = {truth_name} ({truth.mean():.0%} of buyers): ranking used AUC "
              f"{used:.3f} | days since last order {float(baseline):.3f} | top 10 % lapsed "
              f"{top:.1%} | {verdict}")  # fmt: skip
        print("      every candidate: " + ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in candidates.items()
        ))  # fmt: skip
        row[f"{truth_name}: used"] = round(used, 3)
        row[f"{truth_name}: baseline"] = round(float(baseline), 3)
        row[f"{truth_name}: top10"] = round(top, 3)
    return row


def run_business(kind: str, n: int, seed: int, base: str | None) -> dict[str, Any]:
    business = generate_business(kind, customers=n, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = business.write(folder)
        database = fresh_database(base, kind, folder)
        result = through_the_cli(folder, database, paths["customers"], paths["orders"],
                                 business.observation_end.isoformat())  # fmt: skip
    data, ids = observed_summary(business.orders, pd.Timestamp(business.observation_end))
    truth = business.truth.set_index("customer_id").loc[ids]
    truths = {
        "dropped out": truth["dropped_out"].to_numpy(dtype=bool),
        "no order in the next year": truth["holdout_orders"].to_numpy() == 0,
    }
    return report(kind, result, truths, data, ids)


def run_cdnow(base: str | None) -> dict[str, Any]:
    log = pd.read_csv(CDNOW, sep=r"\s+", header=None, dtype={"date": str},
                      names=["customer", "full_id", "date", "cds", "amount"])  # fmt: skip
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    end = pd.Timestamp("1997-09-30")
    calibration = log[log["date"] <= end]
    orders = pd.DataFrame({
        "order_id": [f"CD{i:05d}" for i in range(len(calibration))],
        "customer_id": [f"CD{c:04d}" for c in calibration["customer"]],
        "placed_at": calibration["date"].dt.strftime("%Y-%m-%d"),
        "amount": calibration["amount"].map(lambda v: f"{v:.2f}"),
        "status": "completed",
    })  # fmt: skip
    bought_later = {f"CD{c:04d}" for c in log.loc[log["date"] > end, "customer"]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "orders.csv"
        orders.to_csv(path, index=False)
        database = fresh_database(base, "cdnow", folder)
        result = through_the_cli(folder, database, None, path, "1997-09-30")
    data, ids = observed_summary(orders, end)
    truths = {"no order in weeks 40-78": np.array([i not in bought_later for i in ids])}
    return report("CDNOW (39 weeks, holdout as truth)", result, truths, data, ids)


def speed(n: int) -> None:
    """1M customers: BG/NBD + Gamma-Gamma fit, and the whole backtest."""
    from tenure.analytics.models import BetaGeo, GammaGamma
    from tenure.analytics.simulate import simulate_bg_nbd, simulate_spend

    rng = np.random.default_rng(7)
    first = rng.integers(0, 360, n).astype(float)  # acquired over a year, observed to day 729
    ages = 729.0 - first
    sim = simulate_bg_nbd(ages, r=0.243, alpha=4.414 * 7, a=0.793, b=2.426, rng=rng)
    customer = np.concatenate([np.arange(n), sim.customer])
    day = np.concatenate([first, first[sim.customer] + np.floor(sim.time)])
    print(f"\n=== speed: {n:,} customers, {day.size:,} purchases over two years")
    data, _ = summarise(customer, day, end=729.0)
    x = data.frequency
    spends = simulate_spend(x.astype(np.int64), p=6.25, q=3.74, gamma=15.44, rng=rng)
    totals = np.bincount(np.repeat(np.arange(x.size), x.astype(np.int64)), weights=spends,
                         minlength=x.size)  # fmt: skip
    money = np.divide(totals, x, out=np.zeros(x.size), where=x > 0)
    BetaGeo().fit(x[:1000], data.recency[:1000], data.T[:1000])  # compile outside the clock
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        BetaGeo().fit(x, data.recency, data.T)
        GammaGamma().fit(x, money)
        best = min(best, time.perf_counter() - start)
    print(f"    BG/NBD + Gamma-Gamma fit: {best:.2f} s (goal < 1 s)")
    start = time.perf_counter()
    result = backtest_rankings(customer, day, observation_end=729.0)
    took = time.perf_counter() - start
    print(f"    backtest (3 models fitted, 5 rankings scored, h = {result.holdout_days} days): "
          f"{took:.1f} s (goal < 30 s); chose {result.chosen}: "
          + ", ".join(f"{k} {c.auc:.3f}" if c.auc is not None else f"{k} -"
                      for k, c in result.candidates.items()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=None,
                        help="a PostgreSQL base URL (a fresh database per business); "
                        "default: a fresh SQLite file")  # fmt: skip
    parser.add_argument("--only", default=None, help="comma-separated: cdnow and/or kinds")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--speed-customers", type=int, default=1_000_000)
    args = parser.parse_args()
    chosen = (
        [name for name in args.only.split(",") if name]
        if args.only is not None
        else [*KINDS, "cdnow"]
    )
    rows = []
    for name in chosen:
        if name == "cdnow":
            rows.append(run_cdnow(args.database))
        else:
            rows.append(run_business(name, args.customers, args.seed, args.database))
    if rows:
        print("\n=== AUC of the ranking used against the truth, beside days since the last order")
        print(pd.DataFrame(rows).set_index("business").T.to_string())
    if not args.skip_speed:
        speed(args.speed_customers)


if __name__ == "__main__":
    main()
