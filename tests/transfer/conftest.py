"""Helpers for the import and export tests: CSV files on disk, the real `tenure` command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from django.db.models import Count, Max, Min, Sum

from tenure.customers.models import Customer
from tenure.orders.models import Order


def csv_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(rows, name="file.csv") -> the path of a UTF-8 CSV file with these rows."""

    def write(rows: Sequence[Sequence[object]], name: str = "file.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows))
        return path

    return write


def tenure(database_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `tenure` command (``python -m tenure``) against the test database."""
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def orders_snapshot() -> list[tuple]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "external_id", "customer__external_id", "placed_at", "amount", "currency", "status"
        )
    )


def customer_figures_are_consistent() -> bool:
    """Whether every customer's cached figures equal what their completed orders say."""
    figures = {
        row["customer_id"]: (row["first"], row["last"], row["count"], row["total"])
        for row in Order.objects.filter(status="completed")
        .order_by()
        .values("customer_id")
        .annotate(
            first=Min("placed_at"), last=Max("placed_at"), count=Count("id"), total=Sum("amount")
        )
    }
    for customer_id, *cached in Customer.objects.values_list(
        "id", "first_order_at", "last_order_at", "orders_count", "revenue"
    ):
        if tuple(cached) != figures.get(customer_id, (None, None, 0, 0)):
            return False
    return True
