"""The orders' Parquet extract and the fits counted on an engine beside the database (issue 18).

The extract holds every completed order once, at its local wall-clock time in the business's
zone (an order at 23:30 in New York on 31 March is March's, though it is 1 April in UTC), with
its amount exact; writing it again replaces it whole. The fit counted on DuckDB from the
extract equals the fit on every customer's summary made in memory from the same orders; on
Spark it agrees within 1e-6. The command prints the same.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD
from tenure.analytics.simulate import simulate_bg_nbd, simulate_spend
from tenure.analytics.summary import rfm_summary
from tenure.cli.main import register_commands
from tenure.insights.extract import MANIFEST, extract_read, orders_extract
from tenure.insights.source import engine_fit
from tenure.orders.models import Order, OrderStatus
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

END = date(2025, 12, 31)


def read_extract(directory: Path) -> pd.DataFrame:
    import pyarrow.dataset as ds

    dataset = ds.dataset(directory, format="parquet", partitioning="hive")
    return dataset.to_table().to_pandas().sort_values(["customer_id", "placed_at"])


def test_the_extract_holds_each_completed_order_at_its_local_time(tmp_path, settings):
    settings.TIME_ZONE = "America/New_York"
    ada, bob = make_customer(), make_customer()
    # 23:30 on 31 March in New York is 03:30 on 1 April in UTC: March's, by the local clock.
    make_order(customer=ada, placed_at=datetime(2025, 4, 1, 3, 30, tzinfo=UTC),
               amount=Decimal("19.99"))  # fmt: skip
    make_order(customer=ada, placed_at=datetime(2025, 6, 2, 16, 0, tzinfo=UTC),
               amount=Decimal("0.00"))  # fmt: skip
    make_order(customer=bob, placed_at=datetime(2025, 6, 3, 12, 0, tzinfo=UTC),
               amount=Decimal("123456789012.34"))  # fmt: skip
    make_order(customer=bob, placed_at=datetime(2025, 6, 4, 12, 0, tzinfo=UTC),
               amount=Decimal("80.00"), status=OrderStatus.CANCELLED)  # fmt: skip
    where = tmp_path / "orders"
    made = orders_extract(where, chunk=2)  # two orders a chunk: the chunks join up
    assert (made.orders, made.months) == (3, {"2025-03": 1, "2025-06": 2})
    assert made.time_zone == "America/New_York" and made.whole
    assert extract_read(where) == made
    rows = read_extract(where)
    assert rows["customer_id"].tolist() == [ada.pk, ada.pk, bob.pk]
    assert rows["placed_at"].tolist() == [
        pd.Timestamp("2025-03-31 23:30"), pd.Timestamp("2025-06-02 12:00"),
        pd.Timestamp("2025-06-03 08:00"),
    ]  # fmt: skip
    assert rows["amount"].tolist() == [
        Decimal("19.99"),
        Decimal("0.00"),
        Decimal("123456789012.34"),
    ]
    assert rows["month"].astype(str).tolist() == ["2025-03", "2025-06", "2025-06"]


def files(where: Path) -> dict[str, float]:
    """Each Parquet file of the extract with the moment it was written."""
    return {str(p.relative_to(where)): p.stat().st_mtime_ns for p in where.rglob("*.parquet")}


def test_a_second_run_rewrites_only_the_months_whose_orders_changed(tmp_path):
    def placed(month: int, **fields):
        return make_order(placed_at=datetime(2025, month, 10, 12, tzinfo=UTC), **fields)

    january, february, march = placed(1), placed(2), placed(3, amount=Decimal("30.00"))
    where = tmp_path / "orders"
    first = orders_extract(where)
    assert first.whole and first.months == {"2025-01": 1, "2025-02": 1, "2025-03": 1}
    before = files(where)

    nothing = orders_extract(where)  # no order event since: nothing written
    assert (nothing.whole, nothing.written, nothing.months) == (False, [], first.months)
    assert files(where) == before

    added = placed(2, amount=Decimal("12.50"))
    march.status = OrderStatus.REFUNDED
    march.save()
    again = orders_extract(where)
    assert (again.whole, again.written) == (False, ["2025-02", "2025-03"])
    assert again.months == {"2025-01": 1, "2025-02": 2}  # March's only order was refunded
    after = files(where)
    january_file = next(name for name in before if name.startswith("month=2025-01"))
    assert after[january_file] == before[january_file]  # January's file was not touched
    assert not (where / "month=2025-03").exists()
    rows = read_extract(where)
    assert sorted(rows["customer_id"]) == sorted(
        [january.customer_id, february.customer_id, added.customer_id]
    )
    assert sorted(rows["amount"]) == [Decimal("12.50"), Decimal("50.00"), Decimal("50.00")]

    january.delete()
    gone = orders_extract(where)
    assert (gone.written, gone.months) == (["2025-01"], {"2025-02": 2})
    assert not (where / "month=2025-01").exists()

    # An order moved to another month: its old month is not in the event, so all is rewritten.
    added.placed_at = datetime(2025, 5, 1, tzinfo=UTC)
    added.save()
    moved = orders_extract(where)
    assert moved.whole and moved.months == {"2025-02": 1, "2025-05": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders", "orders.lock"]  # no leftovers
    assert extract_read(where) == moved


def test_a_changed_time_zone_rewrites_it_all(tmp_path, settings):
    make_order(placed_at=datetime(2025, 4, 1, 3, 30, tzinfo=UTC))
    where = tmp_path / "orders"
    assert orders_extract(where).months == {"2025-04": 1}
    settings.TIME_ZONE = "America/New_York"
    again = orders_extract(where)
    assert again.whole and again.months == {"2025-03": 1}


def simulated_orders(customers: int = 400) -> None:
    """A BG/NBD base (rates per day), first purchases in the first 60 days of 2025."""
    rng = np.random.default_rng(18)
    start = datetime(2025, 1, 1, 15, tzinfo=UTC)
    first_day = rng.integers(0, 60, customers)
    ages = ((END - date(2025, 1, 1)).days - first_day).astype(float)
    drawn = simulate_bg_nbd(ages, r=0.5, alpha=20.0, a=0.7, b=2.5, rng=rng)
    repeats = np.bincount(drawn.customer, minlength=customers)
    spend = iter(simulate_spend(repeats + 1, p=6.0, q=3.5, gamma=15.0, rng=rng))
    people = [make_customer() for _ in range(customers)]
    rows: list[Order] = []
    times = iter(drawn.time)
    for n, person in enumerate(people):
        days = [0.0] + [next(times) for _ in range(repeats[n])]
        for offset in days:
            rows.append(
                Order(
                    customer=person, external_id=f"S{len(rows):06d}", currency="USD",
                    placed_at=start + timedelta(days=int(first_day[n]) + float(offset)),
                    amount=Decimal(f"{max(next(spend), 0.01):.2f}"),
                )
            )  # fmt: skip
    Order.objects.bulk_create(rows)


def in_memory_summary() -> pd.DataFrame:
    orders = pd.DataFrame(
        Order.objects.filter(status=OrderStatus.COMPLETED).values_list(
            "customer_id", "placed_at", "amount"
        ),
        columns=["customer", "at", "value"],
    )
    orders["value"] = orders["value"].astype(float)
    return rfm_summary(orders, "customer", "at", "value", observation_end=END)


def test_the_fit_counted_on_duckdb_equals_the_fit_on_every_customer(tmp_path):
    simulated_orders()
    result = engine_fit(engine="duckdb", observation_end=END, directory=tmp_path / "orders")
    summary = in_memory_summary()
    assert result.customers == len(summary) == 400
    assert result.observation_end == END
    # The counted rows (one per distinct (x, t_x, T), one per distinct (x, m_x)) and one
    # check row: fewer than the orders, none of which left the engine.
    assert result.rows_fetched <= 2 * 400 + 1 < result.extract.orders
    for name, model in (("bg_nbd", BetaGeo), ("pareto_nbd", ParetoNBD)):
        every = model().fit(summary["frequency"], summary["recency"], summary["T"])
        for key, value in every.params_.items():
            assert result.params[name][key] == pytest.approx(value, rel=1e-9), (name, key)
    spend = GammaGamma().fit(summary["frequency"], summary["monetary_value"])
    for key, value in spend.params_.items():
        assert result.params["gamma_gamma"][key] == pytest.approx(value, rel=1e-9), key
    assert set(result.seconds) == {"extract", "count", "fit"}


def test_the_command_fits_and_refuses_an_unknown_engine(tmp_path, settings):
    simulated_orders(200)
    where = tmp_path / "orders"
    runner = CliRunner()
    cli = register_commands()
    done = runner.invoke(cli, ["analytics", "extract", "--to", str(where)])
    assert done.exit_code == 0, done.output
    assert "wrote every month" in done.output
    fitted = runner.invoke(
        cli, ["analytics", "fit", "--engine", "duckdb", "--from", str(where),
              "--observation-end", "2025-12-31", "--json"],
    )  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    shown = json.loads(fitted.output)
    assert shown["customers"] == 200 and shown["extract"]["orders"] > 200
    assert {"bg_nbd", "pareto_nbd", "gamma_gamma"} <= set(shown["params"])
    settings.ANALYTICS_ENGINE = "snowflake"
    refused = runner.invoke(cli, ["analytics", "fit", "--from", str(where)])
    assert refused.exit_code == 2
    assert "TENURE_ANALYTICS_ENGINE" in refused.output and "snowflake" in refused.output


def test_without_completed_orders_the_fit_says_so(tmp_path):
    make_order(status=OrderStatus.CANCELLED)
    runner = CliRunner()
    refused = runner.invoke(
        register_commands(), ["analytics", "fit", "--engine", "duckdb", "--from", str(tmp_path)]
    )
    assert refused.exit_code == 2
    assert "no completed orders" in refused.output


@pytest.mark.spark
@pytest.mark.slow
def test_the_fit_counted_on_spark_agrees_with_duckdb(tmp_path):
    from tenure.analytics import engines

    simulated_orders(300)
    where = tmp_path / "orders"
    on_duckdb = engine_fit(engine="duckdb", observation_end=END, directory=where)
    try:
        on_spark = engine_fit(engine="spark", observation_end=END, directory=where)
    finally:
        engines.spark_session().stop()
    assert on_spark.customers == on_duckdb.customers == 300
    assert on_spark.rows_fetched == on_duckdb.rows_fetched
    for model, params in on_duckdb.params.items():
        for key, value in params.items():
            assert on_spark.params[model][key] == pytest.approx(value, rel=1e-6), (model, key)


def test_a_manifest_it_cannot_read_makes_it_write_everything_again(tmp_path):
    make_order(placed_at=datetime(2025, 4, 2, tzinfo=UTC))
    where = tmp_path / "orders"
    orders_extract(where)
    (where / MANIFEST).write_text('{"orders": "many"}')
    assert extract_read(where) is None
    again = orders_extract(where)
    assert again.whole and again.months == {"2025-04": 1}
    assert extract_read(where) == again


def test_a_folder_that_cannot_be_written_is_named_and_nothing_is_lost(tmp_path):
    make_order(placed_at=datetime(2025, 4, 2, tzinfo=UTC))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    runner = CliRunner()
    for command in (["analytics", "extract", "--to"], ["analytics", "fit", "--from"]):
        failed = runner.invoke(register_commands(), [*command, str(blocker / "orders")])
        assert failed.exit_code == 1, failed.output
        assert "the extract could not be written" in failed.output and "a-file" in failed.output
    assert blocker.read_text() == "not a folder"
