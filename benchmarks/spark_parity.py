"""The summary on DuckDB and on Spark local[2], side by side: seconds and the ratio.

Workloads: CDNOW (6,919 orders of 2,357 customers; the weeks-1-39 calibration summary) and a
synthetic log of ``--orders`` orders (default 1M) of a tenth as many customers over 1,000 days.
Each log is put on both engines first (``tenure.analytics.engines.orders_table``; the load is
timed apart), then ``rfm_summary`` runs on each table: its checks and the summary, collected
into pandas. Times are the best of ``--repeat`` runs after one warm-up run; the results are
compared (integers identical, floats within 1e-9 relative) so a fast wrong answer is caught. The
load average is printed before and after: this 2-core machine is shared.

Needs the spark extra (pyspark 4.0, Java 17)::

    .venv/bin/python benchmarks/spark_parity.py
    .venv/bin/python benchmarks/spark_parity.py --orders 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tenure.analytics import engines
from tenure.analytics.summary import rfm_summary

CDNOW = Path(__file__).parent.parent / "tests" / "analytics" / "data" / "CDNOW_sample.txt"


def cdnow() -> pd.DataFrame:
    frame = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["customer_full", "customer", "date", "cds", "value"],
        dtype={"date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer", "date", "value"]]


def synthetic(orders: int, seed: int = 18) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 1_000 * 86_400, orders)
    return pd.DataFrame(
        {
            "customer": rng.integers(0, max(orders // 10, 1), orders),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s"),
            "value": np.round(rng.gamma(2.0, 25.0, orders), 2),
        }
    )


def best(run: Any, repeat: int) -> tuple[float, pd.DataFrame]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def same(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    if not (left.index.equals(right.index) and list(left.columns) == list(right.columns)):
        return False
    for column in left.columns:
        if column.startswith("monetary"):
            if not np.allclose(left[column], right[column], rtol=1e-9, atol=0):
                return False
        elif not np.array_equal(left[column], right[column]):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    start = time.perf_counter()
    spark = engines.connect("spark", session=engines.spark_session(remote=""))
    print(f"Spark local[2] session started in {time.perf_counter() - start:.1f} s")
    duckdb = engines.connect("duckdb")
    workloads = {
        "CDNOW": (cdnow(), dict(observation_end="1997-09-30", freq_multiplier=7)),
        f"{args.orders:,} synthetic orders": (synthetic(args.orders), dict(freq="D")),
    }
    print(f"{'workload':<28}{'load D/S s':>14}{'DuckDB s':>10}{'Spark s':>10}{'ratio':>8}  same")
    for name, (frame, kwargs) in workloads.items():
        loads, times, results = [], [], []
        for backend in (duckdb, spark):
            start = time.perf_counter()
            table = engines.orders_table(backend, frame, "customer", "date", "value")
            table.count().execute()  # the load itself, not the first query, is timed here
            loads.append(time.perf_counter() - start)
            seconds, result = best(
                lambda table=table, kwargs=kwargs: rfm_summary(
                    table, "customer", "date", "value", **kwargs
                ),
                args.repeat,
            )
            times.append(seconds)
            results.append(result)
        load = f"{loads[0]:.2f}/{loads[1]:.1f}"
        print(
            f"{name:<28}{load:>14}{times[0]:>10.3f}{times[1]:>10.2f}"
            f"{times[1] / times[0]:>8.0f}x  {same(*results)}"
        )
    spark.disconnect()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
