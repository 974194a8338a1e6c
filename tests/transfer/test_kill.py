"""An import killed with SIGKILL mid-file leaves whole batches; running it again completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tenure.orders.models import Order
from tests.transfer.conftest import customer_figures_are_consistent, orders_snapshot, tenure

ROWS = 20_000
BATCH = 250


def test_a_killed_import_run_again_ends_with_exactly_the_rows_of_the_file(database_url, write_csv):
    rows = [
        [
            f"K{n:06d}",
            f"C{n % 997}",
            f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
            f"{n % 500}.{n % 100:02d}",
        ]
        for n in range(ROWS)
    ]
    path = write_csv([["order_id", "customer_id", "placed_at", "amount"], *rows])
    command = [sys.executable, "-m", "tenure", "import", "orders", str(path), "--quiet"]
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    process = subprocess.Popen([*command, "--batch-size", str(BATCH)], env=env)
    try:
        deadline = time.monotonic() + 60
        while Order.objects.count() < 2 * BATCH:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "no batch was committed within 60 s"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    stored = Order.objects.count()
    assert 2 * BATCH <= stored < ROWS  # killed mid-file
    assert stored % BATCH == 0  # whole batches only: no half-written one
    assert customer_figures_are_consistent()  # every committed order is in its figures

    again = tenure(database_url, "import", "orders", str(path), "--quiet")
    assert again.returncode == 0, again.stderr
    assert f"{ROWS - stored:,} created, 0 updated, {stored:,} unchanged, 0 rejected" in again.stdout
    snapshot = orders_snapshot()
    assert [(o[0], o[1], str(o[3])) for o in snapshot] == [
        (order_id, customer, amount) for order_id, customer, _, amount in rows
    ]
    assert customer_figures_are_consistent()
