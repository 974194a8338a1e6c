"""The Lifecycle page's flow over the whole history: time in stage, customers per stage at each
period's end and the funnel, from the moves of 100,000 customers (about 800,000), in time zone
aware instants as the page reads them.

    .venv/bin/python benchmarks/stage_flow.py                    # this checkout
    .venv/bin/python benchmarks/stage_flow.py --baseline e63cbb0 # and a commit, same run

With ``--baseline`` the same three functions from that commit's ``tenure/analytics/funnel.py``
run on the same frame, alternating, and the ratios are printed (the machine is shared: ratios
from one run, not absolute times, are the figure). Pure: no database.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

STAGES = ["reach", "acquisition", "development", "retention", "advocacy", "at_risk", "churned"]


def moves(customers: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per = rng.integers(4, 13, customers)
    who = np.repeat(np.arange(customers), per)
    start = pd.Timestamp("2022-01-01", tz="UTC").value // 10**6
    at_ms = start + rng.integers(0, 3 * 365 * 86_400_000, who.size)
    frame = pd.DataFrame(
        {
            "customer": who,
            "to_stage": np.array(STAGES)[rng.integers(0, len(STAGES), who.size)],
            "at": pd.to_datetime(at_ms, unit="ms", utc=True).tz_convert("Europe/Paris"),
            "step": 0,
        }
    )
    return frame.sort_values(["customer", "at", "step"], kind="stable").reset_index(drop=True)


def module_at(commit: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{commit}:src/tenure/analytics/funnel.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    module = types.ModuleType(f"funnel_{commit}")
    exec(compile(source, f"{commit}:funnel.py", "exec"), module.__dict__)
    return module


def calls(funnel: types.ModuleType, frame: pd.DataFrame) -> dict[str, Callable[[], object]]:
    end = pd.Timestamp("2025-01-02", tz="UTC")
    return {
        "time in stage": lambda: funnel.stage_durations(frame, observation_end=end, stages=STAGES),
        "per stage at each month's end": lambda: funnel.stage_counts_over_time(
            frame,
            observation_start=pd.Timestamp("2022-01-01"),
            observation_end=pd.Timestamp("2025-01-02"),
            period="month",
            stages=STAGES,
        ),
        "funnel": lambda: funnel.funnel_conversion(frame, STAGES[:5]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="a commit to compare with, in the same run")
    args = parser.parse_args()

    from tenure.analytics import funnel

    frame = moves(args.customers)
    print(f"{len(frame):,} moves of {args.customers:,} customers")
    peers = {"this checkout": funnel}
    if args.baseline:
        peers[args.baseline] = module_at(args.baseline)
    times: dict[str, dict[str, list[float]]] = {name: {} for name in peers}
    for _ in range(args.repeat):
        for name, module in peers.items():  # alternating: both see the same machine
            for what, call in calls(module, frame).items():
                began = time.perf_counter()
                call()
                times[name].setdefault(what, []).append(time.perf_counter() - began)
    for what in calls(funnel, frame):
        ours = statistics.median(times["this checkout"][what])
        line = f"{what:32} {ours:7.2f} s"
        if args.baseline:
            theirs = statistics.median(times[args.baseline][what])
            line += f"   {args.baseline}: {theirs:7.2f} s   ratio {ours / theirs:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
