"""Businesses whose buying process is none of tenure's models, for validating them honestly.

The demo (``tenure.demo``) and :mod:`tenure.analytics.simulate` draw from the buy-till-you-die
models themselves, so a model tested on them is tested against its own assumptions. Here each
business has a process of its own, written from how such businesses behave:

- ``plan_dropout``: lifetimes from a Weibull hazard (shape 0.8: most leave early) whose scale
  depends on an imported ``plan`` column (basic leaves fastest, pro slowest), with a lognormal
  frailty; purchases a renewal process with gamma(2) gaps (more regular than Poisson).
- ``null_twin``: the same, but the plan has no effect on the lifetime (for "finds nothing").
- ``homogeneous_spend``: every order's amount is gamma(5) around $40 for everyone (no
  heterogeneity of spend); Weibull(1.5) gaps; exponential lifetimes with lognormal rates.
- ``one_time_buyers``: 65 % try once and never come back (a trial market); the rest buy with
  lognormal gaps and lognormal lifetimes.
- ``seasonal``: purchases a Poisson process whose rate swings by +-90 % over the year (a
  December peak), drawn by thinning; acquisition seasonal too; log-logistic lifetimes.

Each returns the files a user would have (customers, orders: ``customer_id``, ``placed_at``,
``amount``, ...) and the truth: when each customer dropped out (NaN: still active at the end of
the holdout), whether they had dropped out by the observation end, and their completed orders in
the holdout year after it (the holdout is not in ``orders``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

START = date(2023, 7, 1)
OBSERVED_DAYS = 3 * 365  # observation end: START + 1,095 days (2026-06-30)
HOLDOUT_DAYS = 365
PLANS = np.array(["basic", "plus", "pro"])
CHANNELS = np.array(["search", "social", "referral", "email"])


@dataclass(frozen=True)
class Business:
    """A generated business: ``customers`` and ``orders`` as a user's CSV files would hold them,
    and ``truth`` (customer_id, dropout_day, dropped_out, holdout_orders)."""

    name: str
    customers: pd.DataFrame
    orders: pd.DataFrame
    truth: pd.DataFrame
    observation_end: date

    def write(self, folder: Path) -> dict[str, Path]:
        """customers.csv, orders.csv and truth.csv in ``folder``; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {name: folder / f"{name}.csv" for name in ("customers", "orders", "truth")}
        self.customers.to_csv(paths["customers"], index=False)
        self.orders.to_csv(paths["orders"], index=False)
        self.truth.to_csv(paths["truth"], index=False)
        return paths


@dataclass(frozen=True)
class _Process:
    """Per customer: the first purchase day, the lifetime after it (inf: never leaves) and a
    function drawing the next purchase time after ``t`` for the customers in ``idx``."""

    first: FloatArray
    lifetime: FloatArray
    next_time: Callable[[npt.NDArray[np.int64], FloatArray], FloatArray]


def _purchase_times(process: _Process) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Every purchase (customer index, day) before each customer's dropout and the end of the
    holdout, the first purchase included; one pass per purchase index over those still buying."""
    end = OBSERVED_DAYS + HOLDOUT_DAYS
    stop = np.minimum(process.first + process.lifetime, end)
    who = [np.arange(process.first.size)]
    when = [process.first.copy()]
    idx, now = who[0], when[0]
    while idx.size:
        now = process.next_time(idx, now)
        alive = now < stop[idx]
        idx, now = idx[alive], now[alive]
        who.append(idx)
        when.append(now)
    return np.concatenate(who), np.concatenate(when)


def _acquisition(n: int, rng: np.random.Generator, seasonal: bool = False) -> FloatArray:
    """First purchase days over the first 2.9 years, growing over time (or with a December
    peak when ``seasonal``)."""
    span = OBSERVED_DAYS - 30
    days = span * np.sqrt(rng.uniform(size=n * 3))  # density rising linearly: a growing shop
    if seasonal:
        keep = rng.uniform(size=days.size) < (1 + 0.8 * _season(days)) / 1.8
        days = days[keep]
    return np.sort(np.floor(days[:n]))


def _season(day: FloatArray) -> FloatArray:
    # +1 on December 15th, -1 in mid-June (day 0 is July 1st).
    return np.cos(2 * np.pi * (day - 167) / 365.0)


def _gamma_gaps(shape: float, mean_gap: FloatArray, rng: np.random.Generator) -> Callable:
    def draw(idx: npt.NDArray[np.int64], now: FloatArray) -> FloatArray:
        return now + rng.gamma(shape, mean_gap[idx] / shape)

    return draw


def _plan_process(n: int, rng: np.random.Generator, *, plan_effect: bool) -> tuple[_Process, dict]:
    plan = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    scale = np.array([280.0, 700.0, 1600.0])[plan] if plan_effect else np.full(n, 620.0)
    frailty = rng.lognormal(0.0, 0.4, n)
    lifetime = scale * frailty * rng.weibull(0.8, n)
    mean_gap = rng.lognormal(np.log(45.0), 0.6, n)
    process = _Process(_acquisition(n, rng), lifetime, _gamma_gaps(2.0, mean_gap, rng))
    return process, {"plan": PLANS[plan]}


def _lognormal_spend(n: int, rng: np.random.Generator) -> Callable:
    level = rng.lognormal(np.log(55.0), 0.5, n)

    def spend(idx: npt.NDArray[np.int64]) -> FloatArray:
        return level[idx] * rng.lognormal(-0.045, 0.3, idx.size)

    return spend


def _build(n: int, seed: int, kind: str) -> tuple[_Process, dict, Callable]:
    rng = np.random.default_rng(seed)
    if kind in ("plan_dropout", "null_twin"):
        process, attrs = _plan_process(n, rng, plan_effect=kind == "plan_dropout")
        return process, attrs, _lognormal_spend(n, rng)
    if kind == "homogeneous_spend":
        mean_gap = rng.gamma(2.0, 30.0, n)
        shape = 1.5

        def weibull_gaps(idx: npt.NDArray[np.int64], now: FloatArray) -> FloatArray:
            # Weibull(1.5) scaled to the customer's mean gap: mean = scale * Gamma(1 + 1/1.5).
            # At least a day apart: two orders on one day are one purchase of their summed
            # value to the models, which would be spend that varies after all.
            gap = mean_gap[idx] / 0.9027452929509336 * rng.weibull(shape, idx.size)
            return now + np.maximum(gap, 1.0)

        lifetime = rng.exponential(1.0, n) / rng.lognormal(np.log(1 / 500.0), 0.7, n)
        process = _Process(_acquisition(n, rng), lifetime, weibull_gaps)

        def flat_spend(idx: npt.NDArray[np.int64]) -> FloatArray:
            return rng.gamma(5.0, 40.0 / 5.0, idx.size)

        return process, {"plan": PLANS[rng.choice(3, size=n)]}, flat_spend
    if kind == "one_time_buyers":
        trial = rng.uniform(size=n) < 0.65
        lifetime = np.where(trial, 0.0, rng.lognormal(np.log(600.0), 0.8, n))
        mean_gap = rng.uniform(40.0, 120.0, n)

        def lognormal_gaps(idx: npt.NDArray[np.int64], now: FloatArray) -> FloatArray:
            return now + mean_gap[idx] * rng.lognormal(-0.125, 0.5, idx.size)

        process = _Process(_acquisition(n, rng), lifetime, lognormal_gaps)
        return process, {"plan": PLANS[rng.choice(3, size=n)]}, _lognormal_spend(n, rng)
    if kind == "seasonal":
        rate = rng.gamma(1.5, 1 / 60.0, n)  # purchases a day at the average of the season
        # log-logistic lifetimes, median 500 days, shape 2
        u = rng.uniform(size=n)
        lifetime = 500.0 * (u / (1 - u)) ** 0.5

        def thinned(idx: npt.NDArray[np.int64], now: FloatArray) -> FloatArray:
            # Thinning (Lewis & Shedler 1979): candidates at the peak rate 1.9 x rate, each kept
            # with probability (1 + 0.9 season) / 1.9.
            out = now.copy()
            todo = np.ones(idx.size, dtype=bool)
            while todo.any():
                step = rng.exponential(1.0 / (1.9 * rate[idx[todo]]))
                out[todo] += step
                kept = rng.uniform(size=step.size) < (1 + 0.9 * _season(out[todo])) / 1.9
                still = np.flatnonzero(todo)[~kept]
                todo[:] = False
                todo[still] = True
                # give up beyond the end (the caller drops them)
                todo &= out < OBSERVED_DAYS + HOLDOUT_DAYS
            return out

        process = _Process(_acquisition(n, rng, seasonal=True), lifetime, thinned)
        return process, {"plan": PLANS[rng.choice(3, size=n)]}, _lognormal_spend(n, rng)
    raise ValueError(f"unknown business {kind!r}")


KINDS = ("plan_dropout", "homogeneous_spend", "one_time_buyers", "seasonal", "null_twin")


def generate_business(kind: str, *, customers: int = 10_000, seed: int = 1) -> Business:
    """Generate business ``kind`` (one of :data:`KINDS`) with ``customers`` buyers."""
    n = customers
    process, attrs, spend = _build(n, seed, kind)
    rng = np.random.default_rng(seed + 1_000)
    who, when = _purchase_times(process)
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    amounts = np.round(np.maximum(spend(who), 1.0), 2)
    observed = when < OBSERVED_DAYS
    holdout = ~observed
    # Seconds within the day, so placed_at looks like a shop's export.
    seconds = rng.integers(8 * 3600, 22 * 3600, who.size)
    moments = (
        pd.Timestamp(START)
        + pd.to_timedelta(np.floor(when), unit="D")
        + pd.to_timedelta(seconds, unit="s")
    )
    ids = np.array([f"C{i + 1:06d}" for i in range(n)])
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i + 1:07d}" for i in range(int(observed.sum()))],
            "customer_id": ids[who[observed]],
            "placed_at": moments[observed].strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": [f"{a:.2f}" for a in amounts[observed]],
            "status": "completed",
        }
    )
    # A few cancelled orders beside the real ones: they are no purchases.
    cancelled = orders.sample(frac=0.01, random_state=seed).assign(status="cancelled")
    cancelled["order_id"] = [f"X{i + 1:07d}" for i in range(len(cancelled))]
    orders = pd.concat([orders, cancelled]).sort_values(["placed_at", "order_id"])
    first_day = pd.Timestamp(START) + pd.to_timedelta(process.first, unit="D")
    customers_frame = pd.DataFrame(
        {
            "customer_id": ids,
            "email": [f"{i.lower()}@example.com" for i in ids],
            "channel": CHANNELS[rng.integers(0, CHANNELS.size, n)],
            "created_at": first_day.strftime("%Y-%m-%d"),
            **attrs,
        }
    )
    dropout_day = process.first + process.lifetime
    dropout_day = np.where(dropout_day < OBSERVED_DAYS + HOLDOUT_DAYS, dropout_day, np.nan)
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "dropout_day": dropout_day,
            "dropped_out": np.nan_to_num(dropout_day, nan=np.inf) <= OBSERVED_DAYS,
            "holdout_orders": np.bincount(who[holdout], minlength=n),
        }
    )
    end = START + timedelta(days=OBSERVED_DAYS - 1)
    return Business(kind, customers_frame, orders.reset_index(drop=True), truth, end)
