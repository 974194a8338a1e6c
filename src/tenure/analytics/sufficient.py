"""The models' sufficient statistics, counted where the orders live; the fits on the driver.

BG/NBD, MBG/NBD and Pareto/NBD see a customer only through (x, t_x, T), and Gamma-Gamma only
through (x, m_x): customers with the same values add the same terms to the log-likelihood. So
the engine that holds the orders (DuckDB, Spark: any Ibis backend) computes the summary
(:func:`tenure.analytics.summary.summary_expression`), groups it by those values and counts
the customers of each group; only the counted rows reach the driver, where the fits run with
the counts as weights (``fit(..., weights=)``) and give the parameters a fit on every
customer's row gives. Special functions (lgamma, hypergeometric terms) stay on the driver: the
engine runs plain group-bys, no Python UDF.

What reaches the driver is one row of checks (rows, missing values, last date) and the two
counted tables: on CDNOW's 6,919 orders of 2,357 customers, 1,016 purchase rows and 760
spend rows; on a daily grid of millions of customers nearly all one-time buyers
collapse into one row per first-purchase day (PERFORMANCE.md: 3.7M customers became 82k
weekly rows). ``tests/analytics/test_sufficient.py`` checks that nothing else is fetched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tenure.analytics._frames import is_ibis_table
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.summary import (
    CompressedRFM,
    FloatArray,
    Freq,
    checked_summary_expression,
    compress_rfm,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from tenure.analytics.models import GammaGamma
    from tenure.analytics.models._customer import CustomerBaseModel

    Model = TypeVar("Model", bound=CustomerBaseModel)


@dataclass(frozen=True)
class SpendRows:
    """Distinct (x >= 1, mean repeat-purchase value) pairs with the customers in each."""

    frequency: FloatArray
    monetary_value: FloatArray
    weight: FloatArray

    def __len__(self) -> int:
        return int(self.frequency.size)


@dataclass(frozen=True)
class SufficientStatistics:
    """What the models need of a customer base, as counted rows (see the module docstring)."""

    purchases: CompressedRFM
    spend: SpendRows | None  # None when the orders had no value column
    observation_end: dt.date

    @property
    def n_customers(self) -> float:
        return self.purchases.n_customers

    @property
    def rows(self) -> int:
        """How many counted rows the driver holds (the fits' whole input)."""
        return len(self.purchases) + (len(self.spend) if self.spend is not None else 0)

    def fit_purchases(self, model: Model) -> Model:
        """Fit a purchase model (``BetaGeo()``, ``ParetoNBD()``, ...) on the counted rows."""
        data = self.purchases
        return model.fit(data.frequency, data.recency, data.T, weights=data.weight)

    def fit_spend(self, model: GammaGamma | None = None) -> GammaGamma:
        """Fit Gamma-Gamma (a new one unless given) on the counted (x, m_x) rows."""
        from tenure.analytics.models import GammaGamma

        if self.spend is None:
            raise InvalidInputError(
                "value_col", "the statistics were counted without order values: no spend to fit"
            )
        spend = self.spend
        return (model or GammaGamma()).fit(
            spend.frequency, spend.monetary_value, weights=spend.weight
        )


def purchase_statistics_expression(summary: ir.Table) -> ir.Table:
    """The summary's customers counted by (frequency, recency, T)."""
    grouped = summary.group_by(["frequency", "recency", "T"]).aggregate(weight=summary.count())
    return grouped.order_by(["frequency", "recency", "T"])


def spend_statistics_expression(summary: ir.Table) -> ir.Table:
    """The repeat buyers of an ``exact_money`` summary counted by (frequency, repeat_spend),
    with their mean spend: grouped on the exact sum, so the same customers share a row on
    every run and engine (a float sum's last bits depend on the order it was added in)."""
    buyers = summary.filter(summary.frequency > 0)
    grouped = buyers.group_by(["frequency", "repeat_spend"]).aggregate(weight=buyers.count())
    counted = grouped.select(
        "frequency",
        monetary_value=grouped.repeat_spend.cast("float64") / grouped.frequency,
        weight=grouped.weight,
    )
    return counted.order_by(["frequency", "monetary_value"])


def _column(table: Any, name: str) -> FloatArray:
    return np.asarray(table.column(name).to_numpy(), dtype=np.float64)


def sufficient_statistics(
    orders: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    observation_end: Any = None,
    freq: Freq = "D",
    freq_multiplier: float = 1,
) -> SufficientStatistics:
    """Count the models' sufficient statistics on the engine that holds ``orders``.

    ``orders`` is an ``ibis.Table`` (:func:`tenure.analytics.engines.orders_table` puts a frame
    on DuckDB or Spark); the arguments are :func:`tenure.analytics.summary.rfm_summary`'s, the
    same periods and the same refunds rule, without a holdout (a fit's input).

    Raises
    ------
    InvalidInputError
        Not an Ibis table, missing columns, empty input, missing values or bad arguments.
    """
    if not is_ibis_table(orders):
        raise InvalidInputError(
            "orders",
            "must be an ibis.Table (tenure.analytics.engines.orders_table puts a frame on "
            "DuckDB or Spark); for a frame in memory use rfm_summary and fit on it",
        )
    summary, _, end = checked_summary_expression(
        orders,
        customer_col,
        date_col,
        value_col,
        observation_end=observation_end,
        freq=freq,
        freq_multiplier=freq_multiplier,
        exact_money=True,
    )
    counted = purchase_statistics_expression(summary).to_pyarrow()
    purchases = compress_rfm(
        _column(counted, "frequency"),
        _column(counted, "recency"),
        _column(counted, "T"),
        _column(counted, "weight"),
    )
    spend = None
    if value_col is not None:
        rows = spend_statistics_expression(summary).to_pyarrow()
        spend = SpendRows(
            frequency=_column(rows, "frequency"),
            monetary_value=_column(rows, "monetary_value"),
            weight=_column(rows, "weight"),
        )
    return SufficientStatistics(purchases=purchases, spend=spend, observation_end=end)
