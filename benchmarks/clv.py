"""tenure.analytics against lifetimes 0.11.3, side by side in one run.

Workloads: the CDNOW calibration summary (2,357 customers, Fader, Hardie & Lee 2005), simulated
populations of 100k and 1M customers (BG/NBD with CDNOW's parameters; acquisition spread over a
quarter on a daily grid, purchase times continuous; spends from the Gamma-Gamma model), and a
10M-row transaction log (1M customers over 1,000 days, rows shuffled). For each: summary time,
fit time per model (BG/NBD, Pareto/NBD, Gamma-Gamma), the largest relative difference between
the two libraries' parameters, and the time ratio lifetimes / tenure. The 10M-row summaries run
in child processes so their peak memory (VmHWM, reset after the data is loaded) is their own.

lifetimes is not a dependency of tenure: it lives in the benchmark's own environment::

    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install lifetimes==0.11.3 'setuptools<81' numba \\
        'ibis-framework[duckdb]>=10,<13' pyarrow polars threadpoolctl
    /work/bench-venv/bin/pip install -e /work/main --no-deps
    /work/bench-venv/bin/python benchmarks/clv.py                      # everything (~15 min)
    /work/bench-venv/bin/python benchmarks/clv.py --sizes cdnow,100k   # a quick look
    # without lifetimes' Pareto/NBD on 100k (63 s) and 1M (470 s):
    /work/bench-venv/bin/python benchmarks/clv.py --skip-slow-peer

Times are the best of ``--repeat`` runs (a single run when one takes over 20 s), after one
warm-up call so Numba's compile (cached on disk after the first ever run) is not counted; the
load average before and after is printed because this 2-core machine is shared. Without
lifetimes installed the tenure column is still measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD
from tenure.analytics.simulate import simulate_bg_nbd, simulate_spend
from tenure.analytics.summary import rfm_summary

DATA = Path(__file__).resolve().parent.parent / "tests" / "analytics" / "data"
CDNOW_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}
SIZES = {"100k": 100_000, "1m": 1_000_000}
# lifetimes times measured on this machine kind (PERFORMANCE.md), shown when a run is skipped.
PEER_REFERENCE = {("100k", "Pareto/NBD"): 62.8, ("1m", "Pareto/NBD"): 472.0}

try:
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data
except ImportError:  # measured alone, without the peer
    lifetimes = None


def best_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of up to ``repeat`` runs (one if a run takes over 20 s)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
        if best > 20:
            break
    return best, result


def max_relative_difference(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in theirs)


def load_cdnow() -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = pd.read_csv(
        DATA / "CDNOW_sample.txt", sep=r"\s+", header=None, dtype={"date": str},
        names=["customer_full", "customer", "date", "cds", "value"],
    )  # fmt: skip
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    summary = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    summary = summary.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary"})
    return tx, summary


def simulate_population(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ages = rng.integers(27 * 7, 39 * 7 + 1, size=n) / 7.0  # first purchases over a quarter
    sim = simulate_bg_nbd(ages, **CDNOW_PARAMS, rng=rng)
    x = sim.frequency
    spends = simulate_spend(x, **SPEND_PARAMS, rng=rng)
    totals = np.bincount(np.repeat(np.arange(n), x), weights=spends, minlength=n)
    monetary = np.divide(totals, x, out=np.zeros(n), where=x > 0)
    return pd.DataFrame({"frequency": x, "recency": sim.recency, "T": sim.T, "monetary": monetary})


def fit_tenure(data: pd.DataFrame) -> dict[str, Callable[[], dict[str, float]]]:
    x, t_x, T, m = (data[c].to_numpy(np.float64) for c in ("frequency", "recency", "T", "monetary"))
    return {
        "BG/NBD": lambda: BetaGeo().fit(x, t_x, T).params_,
        "Pareto/NBD": lambda: ParetoNBD().fit(x, t_x, T).params_,
        "Gamma-Gamma": lambda: GammaGamma().fit(x, m).params_,
    }


def fit_lifetimes(data: pd.DataFrame) -> dict[str, Callable[[], dict[str, float]]]:
    buyers = data[data["frequency"] > 0]

    def params(fitter: Any, rename: dict[str, str] | None = None) -> dict[str, float]:
        return {(rename or {}).get(k, k): float(v) for k, v in fitter.params_.items()}

    return {
        "BG/NBD": lambda: params(
            BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
        ),
        "Pareto/NBD": lambda: params(
            ParetoNBDFitter().fit(data["frequency"], data["recency"], data["T"])
        ),
        "Gamma-Gamma": lambda: params(
            GammaGammaFitter().fit(buyers["frequency"], buyers["monetary"]), {"v": "gamma"}
        ),
    }


def bench_fits(name: str, data: pd.DataFrame, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    ours, theirs = fit_tenure(data), fit_lifetimes(data) if lifetimes and args.peer else {}
    for model, run in ours.items():
        run()  # warm-up: Numba's cached kernels load on first use
        tenure_seconds, params = best_time(run, args.repeat)
        row: dict[str, Any] = {
            "workload": name,
            "task": f"fit {model}",
            "tenure_seconds": tenure_seconds,
        }
        row.update({f"param_{k}": v for k, v in params.items()})
        skip = args.skip_slow_peer and (name, model) in PEER_REFERENCE
        if model in theirs and not skip:
            peer_seconds, peer_params = best_time(theirs[model], args.repeat)
            row.update(
                peer_seconds=peer_seconds, param_diff=max_relative_difference(params, peer_params)
            )
        elif skip:
            row.update(peer_seconds=PEER_REFERENCE[(name, model)], peer_note="reference, not run")
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def bench_cdnow(args: argparse.Namespace) -> list[dict[str, Any]]:
    tx, summary = load_cdnow()
    kwargs = dict(observation_end="1997-09-30", freq="D", freq_multiplier=7)

    def ours() -> pd.DataFrame:
        return rfm_summary(tx, "customer", "date", "value", **kwargs)

    ours()
    tenure_seconds, _ = best_time(ours, args.repeat)
    row: dict[str, Any] = {
        "workload": "cdnow",
        "task": "summary (6,919 rows)",
        "tenure_seconds": tenure_seconds,
    }
    if lifetimes and args.peer:
        peer_seconds, _ = best_time(
            lambda: summary_data_from_transaction_data(
                tx, "customer", "date", "value", observation_period_end="1997-09-30",
                freq="D", freq_multiplier=7,
            ),
            args.repeat,
        )  # fmt: skip
        row["peer_seconds"] = peer_seconds
    print(format_row(row), flush=True)
    return [row, *bench_fits("cdnow", summary, args)]


def make_log(path: Path, seed: int = 42) -> int:
    """10M rows: 1M customers acquired over 1,000 days, BG/NBD repeat purchases by day."""
    rng = np.random.default_rng(seed)
    n = 1_000_000
    start = rng.integers(0, 1000, size=n)
    sim = simulate_bg_nbd((1000 - start).astype(float), r=1.0, alpha=19.0, a=1.0, b=8.0, rng=rng)
    customer = np.concatenate([np.arange(n), sim.customer])
    day = np.concatenate([start, start[sim.customer] + np.floor(sim.time).astype(np.int64)])
    spend = simulate_spend(np.bincount(customer, minlength=n), **SPEND_PARAMS, rng=rng)
    order = np.argsort(customer, kind="stable")  # spends come customer after customer
    value = np.empty(customer.size)
    value[order] = spend
    rows = rng.permutation(customer.size)[:10_000_000]
    ids = rng.permutation(10 * n)[:n] + 1000  # sparse integer ids, as a database hands out
    log = pd.DataFrame(
        {
            "customer": ids[customer[rows]],
            "date": (np.datetime64("2021-01-01") + np.minimum(day[rows], 999)).astype("M8[ns]"),
            "value": np.round(value[rows], 2),
        }
    )
    log.to_parquet(path)
    return len(log)


def summary_child(path: str, engine: str) -> None:
    """Run one 10M-row summary in this process and print time and memory as JSON."""
    import pyarrow as pa

    log = pd.read_parquet(path)
    pa.default_memory_pool().release_unused()
    if engine != "lifetimes":
        rfm_summary(log.head(1000), "customer", "date", "value", engine=engine)  # load kernels
    status = Path("/proc/self/status")

    def rss_mb(field: str) -> float:
        line = next(x for x in status.read_text().splitlines() if x.startswith(field))
        return int(line.split()[1]) / 1024

    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    before = rss_mb("VmRSS:")
    start = time.perf_counter()
    if engine == "lifetimes":
        result = summary_data_from_transaction_data(log, "customer", "date", "value", freq="D")
    else:
        result = rfm_summary(log, "customer", "date", "value", engine=engine)
    seconds = time.perf_counter() - start
    peak = rss_mb("VmHWM:")
    print(
        json.dumps(
            {"seconds": seconds, "rss_before_mb": before, "peak_mb": peak, "customers": len(result)}
        )
    )


def bench_log(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        n_rows = make_log(path)
        engines = ["ibis", "numba"] + (["lifetimes"] if lifetimes and args.peer else [])
        measured = {}
        for engine in engines:
            runs = 1 if engine == "lifetimes" else args.repeat
            results = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--summary-child", str(path), engine],
                        check=True, capture_output=True, text=True,
                    ).stdout.splitlines()[-1]
                )
                for _ in range(runs)
            ]  # fmt: skip
            measured[engine] = min(results, key=lambda r: r["seconds"])
        for engine in ("ibis", "numba"):
            ours = measured[engine]
            row: dict[str, Any] = {
                "workload": f"{n_rows / 1e6:.0f}M rows",
                "task": f"summary ({engine})",
                "tenure_seconds": ours["seconds"],
                "memory": (
                    f"+{ours['peak_mb'] - ours['rss_before_mb']:.0f} MB"
                    f" (peak {ours['peak_mb']:.0f} MB)"
                ),
            }
            if "lifetimes" in measured:
                peer = measured["lifetimes"]
                row["peer_seconds"] = peer["seconds"]
                row["peer_memory"] = f"+{peer['peak_mb'] - peer['rss_before_mb']:.0f} MB"
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


def format_row(row: dict[str, Any]) -> str:
    peer = row.get("peer_seconds")
    ratio = f"{peer / row['tenure_seconds']:.0f}x" if peer else "-"
    peer_text = "-" if peer is None else f"{peer:.3f}" + (" (ref)" if row.get("peer_note") else "")
    diff = row.get("param_diff")
    memory = row.get("memory", "")
    if row.get("peer_memory"):
        memory += f"; lifetimes {row['peer_memory']}"
    return (
        f"| {row['workload']:<9} | {row['task']:<22} | {row['tenure_seconds']:9.4f} "
        f"| {peer_text:>13} | {ratio:>6} | {'-' if diff is None else f'{diff:.1e}':>8} | {memory} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="cdnow,100k,1m,10m", help="any of cdnow,100k,1m,10m")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="tenure only")
    parser.add_argument(
        "--skip-slow-peer", action="store_true",
        help="skip lifetimes' Pareto/NBD on 100k and 1M (63 s and 470 s here)",
    )  # fmt: skip
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--summary-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.summary_child:
        summary_child(*args.summary_child)
        return
    sizes = args.sizes.split(",")
    try:
        import threadpoolctl  # noqa: F401

        blas = "threadpoolctl: BLAS held to one thread during fits"
    except ImportError:
        blas = "threadpoolctl missing: OpenBLAS threads slow small fits"
    print(f"lifetimes {lifetimes.__version__ if lifetimes else 'not installed'}; {blas}")
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    print("| workload  | task                   |  tenure s |   lifetimes s |  ratio ", end="")
    print("| Δparams  | memory |")
    print(
        "|-----------|------------------------|-----------|---------------|--------|----------|--------|"
    )
    rows: list[dict[str, Any]] = []
    if "cdnow" in sizes:
        rows += bench_cdnow(args)
    for size, n in SIZES.items():
        if size in sizes:
            rows += bench_fits(size, simulate_population(n, seed=n), args)
    if "10m" in sizes:
        rows += bench_log(args)
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=float))


if __name__ == "__main__":
    main()
