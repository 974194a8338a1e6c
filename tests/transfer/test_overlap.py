"""Two imports of the same customers at once, as two real `tenure import` processes: both end
well (a batch the database gave up on because of the other is stored again), or the one that
lost says so in words, with its exit code; every row is stored once either way."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tenure.customers.models import Customer
from tenure.orders.models import Order
from tests.transfer.conftest import csv_bytes, customer_figures_are_consistent

# Big enough that, before batches were tried again, the customers import deadlocked on
# PostgreSQL (a traceback and exit code 1) in each of three runs.
CUSTOMERS = 20_000
BATCH = {"customers": "5000", "orders": "2500"}


def _start(database_url: str, kind: str, path: Path) -> subprocess.Popen:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tenure",
            "import",
            kind,
            str(path),
            "-q",
            "--batch-size",
            BATCH[kind],
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _files(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """The same keys in two orders: one file ascending, the other shuffled."""
    if kind == "customers":
        header = ["customer_id", "email", "category"]
        rows = [[f"K{n:05d}", f"k{n}@example.com", "a"] for n in range(CUSTOMERS)]
    else:
        header = ["order_id", "customer_id", "placed_at", "amount"]
        rows = [
            [f"O{n:05d}", f"K{n % CUSTOMERS:05d}", "2025-02-01", "10.00"] for n in range(CUSTOMERS)
        ]
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    first, second = tmp_path / f"{kind}-a.csv", tmp_path / f"{kind}-b.csv"
    first.write_bytes(csv_bytes([header, *rows]))
    second.write_bytes(csv_bytes([header, *shuffled]))
    return first, second


@pytest.mark.parametrize("kind", ["customers", "orders"])
def test_overlapping_imports_store_every_row_once(database_url, tmp_path, kind):
    first, second = _files(tmp_path, kind)
    runs = [_start(database_url, kind, first), _start(database_url, kind, second)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    for code, _, err in results:
        assert "Traceback" not in err
        assert code in (0, 3), err
        if code == 3:  # lost every attempt: said in words, and re-running completes it
            assert "Running the import again is safe" in err
            assert "pid" not in err.lower()
    for code, _, err in results:
        if code == 3:
            again = _start(database_url, kind, first)
            assert again.wait(timeout=300) == 0, again.communicate()[1]
    assert Customer.objects.filter(external_id__startswith="K").count() == CUSTOMERS
    if kind == "orders":
        assert Order.objects.count() == CUSTOMERS
        assert customer_figures_are_consistent()
