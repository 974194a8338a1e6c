"""The models fitted from counted statistics (issue 18): the engine counts customers by
(x, t_x, T) and by (x, m_x), the driver fits on those rows and nothing else.

A hand-worked log gives the counted rows exactly; on CDNOW the fits from DuckDB's counts equal
the fits on every customer's row and reproduce the published parameters; a spy on the
backend's fetches shows that only the check row and the counted rows reach the driver.
(Spark's counts are compared with DuckDB's in ``test_spark_parity.py``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.analytics import engines
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from tenure.analytics.sufficient import sufficient_statistics
from tenure.analytics.summary import rfm_summary

CDNOW = dict(observation_end="1997-09-30", freq_multiplier=7)


@pytest.fixture
def duckdb():
    backend = engines.connect("duckdb")
    yield backend
    backend.disconnect()


def hand_log() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-01", 10.0), ("A", "2024-01-05", 20.0),  # x 1, t_x 4, T 9, m 20
        ("B", "2024-01-01", 5.0), ("B", "2024-01-05", 20.0),  # the same as A
        ("C", "2024-01-03", 7.0),  # x 0, t_x 0, T 7
        ("D", "2024-01-03", 8.0), ("D", "2024-01-03 18:00", 9.0),  # one day: as C
        # a refund is no purchase: days 2, 6, 8: x 2, t_x 6, T 8, m (30 + 50) / 2
        ("E", "2024-01-02", 10.0), ("E", "2024-01-04", -10.0), ("E", "2024-01-06", 30.0),
        ("E", "2024-01-08", 50.0),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer", "at", "value"])
    frame["at"] = pd.to_datetime(frame["at"], format="ISO8601")
    return frame


def test_the_hand_worked_log_counts_to_these_rows(duckdb):
    table = engines.orders_table(duckdb, hand_log(), "customer", "at", "value")
    stats = sufficient_statistics(table, "customer", "at", "value", observation_end="2024-01-10")
    rows = stats.purchases
    assert rows.frequency.tolist() == [0.0, 1.0, 2.0]
    assert rows.recency.tolist() == [0.0, 4.0, 6.0]
    assert rows.T.tolist() == [7.0, 9.0, 8.0]
    assert rows.weight.tolist() == [2.0, 2.0, 1.0]  # C and D, A and B, E
    assert stats.spend is not None
    assert stats.spend.frequency.tolist() == [1.0, 2.0]
    assert stats.spend.monetary_value.tolist() == [20.0, 40.0]
    assert stats.spend.weight.tolist() == [2.0, 1.0]
    assert stats.n_customers == 5
    assert stats.rows == 5
    assert str(stats.observation_end) == "2024-01-10"


@pytest.fixture
def cdnow_table(duckdb, cdnow_transactions):
    return engines.orders_table(duckdb, cdnow_transactions, "customer", "date", "value")


def test_cdnow_fits_from_the_counts_equal_the_fits_on_every_customer(
    cdnow_table, cdnow_transactions
):
    stats = sufficient_statistics(cdnow_table, "customer", "date", "value", **CDNOW)
    every = rfm_summary(cdnow_transactions, "customer", "date", "value", **CDNOW)
    assert stats.n_customers == len(every) == 2_357
    # Counted rows, fewer than the customers; the same on every run (spend on exact sums).
    assert stats.spend is not None
    assert (len(stats.purchases), len(stats.spend)) == (1_016, 760)
    for model in (BetaGeo, ParetoNBD, ModifiedBetaGeo):
        counted = stats.fit_purchases(model())
        one_by_one = model().fit(every["frequency"], every["recency"], every["T"])
        assert counted.n_customers_ == 2_357
        for name, value in one_by_one.params_.items():
            assert counted.params_[name] == pytest.approx(value, rel=1e-9), (model, name)
        assert counted.log_likelihood_ == pytest.approx(one_by_one.log_likelihood_, rel=1e-12)
    spend = stats.fit_spend()
    spend_one_by_one = GammaGamma().fit(every["frequency"], every["monetary_value"])
    assert spend.n_customers_ == 946  # the repeat buyers
    for name, value in spend_one_by_one.params_.items():
        assert spend.params_[name] == pytest.approx(value, rel=1e-9), name


def test_cdnow_counts_reproduce_the_published_parameters(cdnow_table):
    stats = sufficient_statistics(cdnow_table, "customer", "date", "value", **CDNOW)
    bgnbd = stats.fit_purchases(BetaGeo()).params_
    assert [round(bgnbd[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    pareto = stats.fit_purchases(ParetoNBD()).params_
    assert [round(pareto[k], 3) for k in ("r", "s")] == [0.553, 0.606]
    assert round(pareto["alpha"], 2) == 10.58
    spend = stats.fit_spend().params_
    assert (round(spend["p"], 2), round(spend["q"], 2)) == (6.25, 3.74)
    assert spend["gamma"] == pytest.approx(15.44, abs=0.01)


def test_only_the_check_row_and_the_counted_rows_reach_the_driver(duckdb, cdnow_table, monkeypatch):
    fetched: list[tuple[str, int]] = []

    def spy(name):
        real = getattr(duckdb, name)

        def fetch(*args, **kwargs):
            result = real(*args, **kwargs)
            fetched.append((name, len(result)))
            return result

        return fetch

    for name in ("execute", "to_pyarrow", "to_polars", "to_pyarrow_batches", "to_pandas"):
        if hasattr(duckdb, name):
            monkeypatch.setattr(duckdb, name, spy(name))
    stats = sufficient_statistics(cdnow_table, "customer", "date", "value", **CDNOW)
    assert stats.spend is not None
    assert sorted(fetched) == sorted(
        [("execute", 1), ("to_pyarrow", len(stats.purchases)), ("to_pyarrow", len(stats.spend))]
    )
    # Every one of the 6,919 orders and 2,357 customers stayed on the engine.
    assert sum(rows for _, rows in fetched) == 1 + stats.rows < 2_357


def test_bad_input_is_refused_with_the_field_named(duckdb, cdnow_table, cdnow_transactions):
    with pytest.raises(InvalidInputError, match=r"orders: must be an ibis\.Table"):
        sufficient_statistics(cdnow_transactions, "customer", "date", "value")
    with pytest.raises(InvalidInputError, match="price: is not a column"):
        sufficient_statistics(cdnow_table, "customer", "date", "price")
    with pytest.raises(InvalidInputError, match="freq"):
        sufficient_statistics(cdnow_table, "customer", "date", freq="Y")  # type: ignore[arg-type]
    no_values = sufficient_statistics(cdnow_table, "customer", "date", **CDNOW)
    assert no_values.spend is None
    with pytest.raises(InvalidInputError, match="value_col"):
        no_values.fit_spend()


def test_gamma_gamma_weights_count_customers():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 6, 300).astype(float)
    m = np.round(rng.gamma(4.0, 10.0, 300), 0)  # whole amounts: many pairs repeat
    counts = rng.integers(0, 4, 300)
    weighted = GammaGamma().fit(x, m, weights=counts)
    repeated = GammaGamma().fit(np.repeat(x, counts), np.repeat(m, counts))
    assert weighted.n_customers_ == repeated.n_customers_ == counts[counts > 0].sum()
    for name, value in repeated.params_.items():
        assert weighted.params_[name] == pytest.approx(value, rel=1e-9), name
    assert weighted.n_rows_fitted_ < int(counts.sum())
    with pytest.raises(InvalidInputError, match="weights"):
        GammaGamma().fit(x, m, weights=counts[:10])
    with pytest.raises(InvalidInputError, match="weights"):
        GammaGamma().fit(x, m, weights=-counts)
