"""The pure lifecycle core at scale: stages for 1M customers, and their health scores.

Prints, for a synthetic base of ``--customers`` (default 1,000,000) with facts drawn to look
like a shop's (order counts, gaps, P(alive), subscriptions, NPS answers, complaints):

- validating the default definition (including the cycle probe);
- the first placement (every customer from no stage: all move, several steps for some);
- a nightly recompute: the same base one day later, from the stages just stored (few move);
- one customer at a time (the incremental update when an event arrives), per call;
- the reasons in words and the transitions table for the customers who moved;
- health scores for everyone, and the words for 1,000 of them.

Times are the best of ``--repeat`` runs; the load average is printed before and after
because this 2-core machine is shared. The issue's budget is 60 s for a bulk recompute of 1M
customers on PostgreSQL including the database I/O; the pure part should stay under 5 s::

    .venv/bin/python benchmarks/lifecycle.py
    .venv/bin/python benchmarks/lifecycle.py --customers 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tenure.domain.health import health_config_validate, health_scores
from tenure.domain.lifecycle import definition_validate, lifecycle_evaluate, preset_definition


def population(n: int, seed: int = 0) -> pd.DataFrame:
    """Lifecycle and health facts for ``n`` customers (a tenth of them leads)."""
    rng = np.random.default_rng(seed)
    lead = rng.random(n) < 0.1
    orders = np.where(lead, 0, 1 + rng.negative_binomial(1, 0.35, n))
    first = np.where(lead, np.nan, rng.uniform(0, 1500, n).round())
    last = np.where(lead, np.nan, np.where(orders > 1, first * rng.beta(1, 3, n), first).round())
    own_gap = (first - last) / np.maximum(orders - 1, 1)
    gap = np.where(orders > 1, np.maximum(own_gap, 1.0), np.where(lead, np.nan, 45.0))
    subscribed = ~lead & (rng.random(n) < 0.08)
    cancelled = ~lead & ~subscribed & (rng.random(n) < 0.04)
    nps = np.where(rng.random(n) < 0.25, rng.integers(0, 11, n), np.nan)
    return pd.DataFrame(
        {
            "orders_count": orders,
            "first_order_days_ago": first,
            "days_since_last_order": last,
            "typical_gap_days": gap,
            "p_alive": np.where(lead, np.nan, rng.beta(2, 1.2, n)),
            "has_active_subscription": subscribed,
            "subscription_cancelled": cancelled,
            "days_since_cancellation": np.where(cancelled, rng.uniform(0, 700, n).round(), np.nan),
            "referrals_count": rng.poisson(0.05, n),
            "latest_nps": nps,
            "latest_csat": np.where(rng.random(n) < 0.2, rng.integers(1, 6, n), np.nan),
            "open_complaints": rng.poisson(0.08, n),
            "is_lead": lead,
            "days_in_stage": np.nan,
            "orders_last_90d": rng.poisson(0.6, n),
            "orders_prior_90d": rng.poisson(0.6, n),
            "spend_last_90d": rng.gamma(1.0, 60.0, n),
            "spend_prior_90d": rng.gamma(1.0, 60.0, n),
            "emails_engaged_90d": rng.binomial(8, 0.25, n),
            "emails_sent_90d": np.full(n, 8),
            "contacts_engaged_90d": np.where(rng.random(n) < 0.3, rng.integers(1, 5, n), np.nan),
            "days_to_renewal": np.where(subscribed, rng.uniform(-30, 365, n), np.nan),
        }
    )


def best_of(repeat: int, call: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.customers, args.repeat
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    facts = population(n)
    columns = {name: facts[name].to_numpy() for name in facts.columns}

    seconds, model = best_of(repeat, lambda: definition_validate(preset_definition("default")))
    print(f"validate the default definition (with the cycle probe): {1000 * seconds:8.1f} ms")

    unstaged = np.full(n, -1)
    seconds, first = best_of(repeat, lambda: lifecycle_evaluate(model, columns, unstaged))
    moves = sum(step.positions.size for step in first.steps)
    print(
        f"first placement of {n:,} customers: {seconds:6.2f} s "
        f"({first.changed.sum():,} placed, {moves:,} moves in {len(first.steps)} steps)"
    )

    later = dict(columns)  # one day later, from the stages just stored
    for name in ("first_order_days_ago", "days_since_last_order", "days_since_cancellation"):
        later[name] = columns[name] + 1
    later["days_in_stage"] = np.where(first.stage >= 0, 1.0, np.nan)
    stored = first.stage_keys()  # as the database holds them: keys, not codes
    seconds, nightly = best_of(repeat, lambda: lifecycle_evaluate(model, later, stored))
    print(f"nightly recompute of {n:,} customers (stages as keys):  {seconds:6.2f} s "
          f"({nightly.changed.sum():,} moved)")  # fmt: skip

    frame = pd.DataFrame(later).iloc[:1000]
    stages = first.stage[:1000]
    start = time.perf_counter()
    for i in range(1000):
        lifecycle_evaluate(model, frame.iloc[[i]], stages[i : i + 1])
    per_call = (time.perf_counter() - start) / 1000
    print(f"one customer at a time (DataFrame row): {1000 * per_call:6.2f} ms per call")

    moved = np.flatnonzero(nightly.changed)
    seconds, _ = best_of(repeat, lambda: nightly.reasons(moved))
    print(f"reasons for the {moved.size:,} who moved overnight: {seconds:6.2f} s")
    seconds, table = best_of(1, lambda: first.transitions(reasons=False))
    print(f"transitions table of the first placement ({len(table):,} rows, no reasons): "
          f"{seconds:6.2f} s")  # fmt: skip
    seconds, table = best_of(1, lambda: first.transitions())
    print(f"  ... with reasons: {seconds:6.2f} s")

    config = health_config_validate()
    seconds, health = best_of(repeat, lambda: health_scores(columns, config))
    bands = pd.Series(health.band_keys()).value_counts().to_dict()
    print(f"health scores of {n:,} customers: {seconds:6.2f} s (bands {bands})")
    seconds, _ = best_of(repeat, lambda: health.explain(np.arange(1000)))
    print(f"health in words for 1,000 customers: {1000 * seconds:6.1f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
