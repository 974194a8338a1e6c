"""The models fitted from the app's orders two ways, side by side: in this process from NumPy
columns (the nightly fit's reading and summary) and counted on DuckDB from the Parquet extract
(``tenure analytics fit``), with the extract's own cost, whole and incremental.

    .venv/bin/python benchmarks/engine_fit.py --customers 200000    # about 1M orders

Runs on a fresh SQLite database in a temporary folder (``--database`` for a PostgreSQL URL of an
empty database). The orders are a simulated BG/NBD base with Gamma-Gamma spend (first orders
over 2023, 1,000 days in all), stored set-wise (bulk inserts, no events: the extract's first run
writes every month whatever the events say). Timed, each once after the data are there:

- in process: ``completed_orders`` (cursor into NumPy), the Numba summary, then BG/NBD, Pareto/NBD
  and Gamma-Gamma fitted on every customer's row;
- on DuckDB: the whole extract; ``sufficient_statistics`` on it; the same three fits on the
  counted rows; then an incremental run after 1,000 new orders in one month (their events
  recorded, as every write path does).

The parameters of both ways are compared (1e-9 relative), so a fast wrong answer is caught. The
load average is printed before and after: this 2-core machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000,
                        help="a BG/NBD base: about 5 orders each")  # fmt: skip
    parser.add_argument("--database", default="", help="an empty PostgreSQL database's URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TENURE_DATA_DIR"] = tmp
        os.environ["TENURE_DATABASE_URL"] = args.database or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        run(args.customers, Path(tmp) / "extract")


def _store(customers: int) -> int:
    """A BG/NBD base (rates per day) with Gamma-Gamma spend, first orders in 2023; how many
    orders that made."""
    import numpy as np
    from django.db import transaction

    from tenure.analytics.simulate import simulate_bg_nbd, simulate_spend
    from tenure.customers.models import Customer
    from tenure.orders.models import Order

    rng = np.random.default_rng(18)
    start = datetime(2023, 1, 1, 15, tzinfo=UTC)
    Customer.objects.bulk_create(
        [Customer(external_id=f"C{n:07d}", created_at=start) for n in range(customers)],
        batch_size=5000,
    )
    ids = np.array(Customer.objects.order_by("pk").values_list("pk", flat=True))
    first = rng.integers(0, 365, customers)
    drawn = simulate_bg_nbd((1_000 - first).astype(float), r=0.5, alpha=20.0, a=0.7, b=2.5,
                            rng=rng)  # fmt: skip
    owner = np.concatenate([np.arange(customers), drawn.customer])
    days = np.concatenate([first.astype(float), first[drawn.customer] + drawn.time])
    order = np.argsort(owner, kind="stable")
    owner, days = owner[order], days[order]
    counts = np.bincount(owner, minlength=customers)
    spend = simulate_spend(counts, p=6.0, q=3.5, gamma=15.0, rng=rng)
    cents = np.maximum(np.round(spend * 100), 1).astype(np.int64)
    total = int(owner.size)
    for begin in range(0, total, 50_000):
        part = range(begin, min(begin + 50_000, total))
        with transaction.atomic():
            Order.objects.bulk_create(
                [
                    Order(
                        external_id=f"O{n:08d}", customer_id=int(ids[owner[n]]), currency="USD",
                        placed_at=start + timedelta(days=float(days[n])),
                        amount=Decimal(int(cents[n])) / 100,
                    )
                    for n in part
                ],
                batch_size=5000,
            )  # fmt: skip
    return total


def run(customers: int, where: Path) -> None:
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tenure.analytics import engines
    from tenure.analytics.errors import FitError
    from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD
    from tenure.analytics.sufficient import sufficient_statistics
    from tenure.analytics.summary import rfm_summary
    from tenure.insights.extract import orders_extract
    from tenure.insights.reading import completed_orders, day_start
    from tenure.insights.source import extract_table
    from tenure.orders.models import Order

    print(f"load average before: {os.getloadavg()}")
    made = time.perf_counter()
    orders = _store(customers)
    stored = time.perf_counter() - made
    print(f"{orders:,} orders of {customers:,} customers stored in {stored:.1f} s")
    end = pd.Timestamp("2025-12-31").date()

    def fits(x, t, age, m, weights=None, spend_weights=None, spend_x=None):
        found = {}
        for model in (BetaGeo, ParetoNBD):  # each alone: one may sit on its boundary
            try:
                fitted = model(max_seconds=60).fit(x, t, age, weights=weights)
                found[model.__name__] = fitted.params_
            except FitError as error:
                found[model.__name__] = {"not fitted": error.reason}
        found["GammaGamma"] = GammaGamma().fit(spend_x, m, weights=spend_weights).params_
        return found

    took: dict[str, float] = {}
    began = time.perf_counter()
    columns = completed_orders(customers=None, before=day_start(end), with_amount=True)
    took["process: read"] = time.perf_counter() - began
    began = time.perf_counter()
    frame = pd.DataFrame(
        {
            "customer": columns.customer_id,
            "day": columns.day.astype("datetime64[D]"),
            "amount": columns.amount,
        }
    )
    summary = rfm_summary(frame, "customer", "day", "amount", observation_end=end, engine="numba")
    took["process: summary"] = time.perf_counter() - began
    began = time.perf_counter()
    x, t, age, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    mine = fits(x, t, age, m, spend_x=x)
    took["process: fits"] = time.perf_counter() - began

    began = time.perf_counter()
    extract = orders_extract(where)
    took["duckdb: extract (whole)"] = time.perf_counter() - began
    backend = engines.connect("duckdb")
    began = time.perf_counter()
    stats = sufficient_statistics(extract_table(backend, where), "customer_id", "placed_at",
                                  "amount", observation_end=end)  # fmt: skip
    took["duckdb: count"] = time.perf_counter() - began
    began = time.perf_counter()
    p, s = stats.purchases, stats.spend
    assert s is not None
    theirs = fits(p.frequency, p.recency, p.T, s.monetary_value, weights=p.weight,
                  spend_weights=s.weight, spend_x=s.frequency)  # fmt: skip
    took["duckdb: fits"] = time.perf_counter() - began
    for model, params in mine.items():
        if "not fitted" in params:
            assert "not fitted" in theirs[model], (model, theirs[model])
            print(f"{model}: not fitted either way ({params['not fitted']})")
            continue
        for key, value in params.items():
            assert abs(theirs[model][key] / value - 1) < 1e-9, (model, key, value, theirs[model])
    some = list(np.random.default_rng(1).choice(columns.customer_id, 1_000))
    from tenure.customers.models import Customer

    people = Customer.objects.in_bulk([int(c) for c in some])
    for n, pk in enumerate(some):
        Order.objects.create(customer=people[int(pk)], external_id=f"N{n:05d}", currency="USD",
                             amount=Decimal("25.00"),
                             placed_at=datetime(2024, 6, 1 + n % 28, tzinfo=UTC))  # fmt: skip
    began = time.perf_counter()
    again = orders_extract(where)
    took["duckdb: extract (1,000 new orders in one month)"] = time.perf_counter() - began
    size = sum(p.stat().st_size for p in where.rglob("*.parquet"))
    print(f"extract on disk: {size / 1e6:.1f} MB, {size / extract.orders:.1f} bytes an order")
    print(f"extract: {extract.orders:,} orders in {len(extract.months)} months; the incremental "
          f"run wrote {again.written}")  # fmt: skip
    print(f"counted rows fetched: {stats.rows:,} (purchases {len(p):,}, spend {len(s):,}) "
          f"for {stats.n_customers:,.0f} customers")  # fmt: skip
    for name, seconds in took.items():
        print(f"  {name:50s} {seconds:8.2f} s")
    process = sum(v for k, v in took.items() if k.startswith("process"))
    engine = took["duckdb: count"] + took["duckdb: fits"]
    print(
        f"in process (read + summary + fits): {process:.2f} s; on DuckDB from the extract "
        f"(count + fits): {engine:.2f} s, ratio {engine / process:.2f}; same parameters (1e-9)"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
