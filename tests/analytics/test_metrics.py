"""Hand-worked examples of every formula in DOMAIN.md, and their edge cases."""

from __future__ import annotations

import math

import pytest

from tenure.analytics import metrics
from tenure.analytics.errors import InvalidInputError


def two_decimals(value: float) -> str:
    # How the figure is shown; formatting rounds the exact binary value, so 70.4545... -> 70.45.
    return f"{value:.2f}"


@pytest.mark.parametrize(
    ("start", "end", "acquired", "expected", "shown"),
    [
        (20, 24, 5, 95.0, "95.00"),  # DOMAIN.md: 1 lost
        (44, 43, 12, 3100 / 44, "70.45"),  # 13 lost: 70.4545...
        (100, 105, 20, 85.0, "85.00"),  # 15 lost
        (10, 10, 0, 100.0, "100.00"),  # nobody lost, nobody new
        (10, 3, 3, 0.0, "0.00"),  # everyone lost, three new
    ],
)
def test_retention_rate_worked_examples(start, end, acquired, expected, shown):
    rate = metrics.retention_rate(start, end, acquired)
    assert rate == pytest.approx(expected, rel=1e-15)
    assert two_decimals(rate) == shown


def test_retention_rate_is_exact_where_the_naive_order_is_not():
    # (19 / 20) * 100 == 94.99999999999999 in binary floating point; the result must be 95.0.
    assert metrics.retention_rate(20, 24, 5) == 95.0


def test_retention_rate_refuses_an_empty_start():
    with pytest.raises(InvalidInputError, match="start: is 0") as info:
        metrics.retention_rate(0, 5, 5)
    assert info.value.name == "start"


@pytest.mark.parametrize(
    ("start", "end", "acquired", "name"),
    [
        (10, 2, 5, "end"),  # more lost than there were
        (10, 25, 5, "end"),  # more retained than at the start
        (-1, 5, 5, "start"),
        (10, 5.5, 0, "end"),
        (10, math.nan, 0, "end"),
        (10, 5, "3", "acquired"),
        (True, 1, 0, "start"),
    ],
)
def test_retention_rate_bad_input(start, end, acquired, name):
    with pytest.raises(InvalidInputError) as info:
        metrics.retention_rate(start, end, acquired)
    assert info.value.name == name


def test_churn_rate():
    assert metrics.churn_rate(100, 15) == 15.0
    assert metrics.churn_rate(3, 0) == 0.0
    assert two_decimals(metrics.churn_rate(3, 1)) == "33.33"
    with pytest.raises(InvalidInputError, match="start"):
        metrics.churn_rate(0, 0)
    with pytest.raises(InvalidInputError, match="lost"):
        metrics.churn_rate(10, 11)


def test_historical_clv():
    # $50 every three months for five years: 50 x 4 x 5 (a widely copied article says $500).
    assert metrics.historical_clv(4, 50, 5) == 1000.0
    assert metrics.historical_clv(0, 50, 5) == 0.0
    with pytest.raises(InvalidInputError, match="average_order_value"):
        metrics.historical_clv(4, -50, 5)
    with pytest.raises(InvalidInputError, match="lifespan_years"):
        metrics.historical_clv(4, 50, math.inf)


def test_order_metrics():
    assert metrics.average_order_value(1000.0, 20) == 50.0
    assert metrics.purchase_frequency(30, 20) == 1.5
    assert metrics.repeat_purchase_rate(5, 20) == 25.0
    with pytest.raises(InvalidInputError, match="orders: is 0"):
        metrics.average_order_value(0.0, 0)  # an empty period has no average order
    with pytest.raises(InvalidInputError, match="customers"):
        metrics.purchase_frequency(0, 0)
    with pytest.raises(InvalidInputError, match="repeat_customers"):
        metrics.repeat_purchase_rate(21, 20)


def test_net_promoter_score():
    # 5 promoters (9-10), 3 passives (7-8), 2 detractors (0-6): 50 % - 20 % = 30.
    answers = [10, 9, 9, 10, 9, 8, 7, 7, 6, 0]
    assert metrics.net_promoter_score(answers) == 30.0
    assert metrics.net_promoter_score([0, 1]) == -100.0
    assert metrics.net_promoter_score([7, 8]) == 0.0
    with pytest.raises(InvalidInputError, match="empty"):
        metrics.net_promoter_score([])
    with pytest.raises(InvalidInputError, match="0 to 10"):
        metrics.net_promoter_score([11])
    with pytest.raises(InvalidInputError, match="0 to 10"):
        metrics.net_promoter_score([9.5])


def test_customer_satisfaction_score():
    assert metrics.customer_satisfaction_score([5, 4, 3, 2]) == 50.0
    assert two_decimals(metrics.customer_satisfaction_score([5, 4, 1])) == "66.67"
    with pytest.raises(InvalidInputError, match="1 to 5"):
        metrics.customer_satisfaction_score([0])


def test_contract_metrics():
    assert metrics.renewal_rate(40, 34) == 85.0
    # Start 10,000 MRR; 500 churned, 300 contraction, 1,800 expansion.
    assert metrics.gross_revenue_retention(10_000, 500, 300) == 92.0
    assert metrics.net_revenue_retention(10_000, 500, 300, 1_800) == 110.0
    with pytest.raises(InvalidInputError, match="start_mrr"):
        metrics.net_revenue_retention(0, 0, 0, 0)
    with pytest.raises(InvalidInputError, match="churned_mrr"):
        metrics.gross_revenue_retention(100, 80, 30)
    with pytest.raises(InvalidInputError, match="renewed"):
        metrics.renewal_rate(10, 11)
