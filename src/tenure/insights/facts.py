"""The facts the insights app provides: the latest model fit's figures per customer
(``insights.CustomerPrediction``, one query per chunk): ``p_alive`` and
``expected_purchases_365`` as of that fit's observation end and, for the health ceilings,
``churn_risk``; for segments ``predicted_clv_365``; missing for a customer the fit does not
cover, and for everyone before the first fit."""

from __future__ import annotations

from typing import Any

import numpy as np

from tenure.domain.facts import Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import FactRequest, fetch_numbers, scatter
from tenure.insights.models import CustomerPrediction


def _prediction_facts(request: FactRequest) -> dict[str, Any]:
    rows = fetch_numbers(
        CustomerPrediction.objects.filter(request.chunk.where("customer_id"))
        .order_by()
        .values_list(
            "customer_id", "p_alive", "expected_purchases_365", "churn_risk", "predicted_clv_365"
        ),
        5,
    )
    ids, keys = request.ids, rows[:, 0].astype(np.int64)
    return {
        "p_alive": scatter(ids, keys, rows[:, 1], np.nan),
        "expected_purchases_365": scatter(ids, keys, rows[:, 2], np.nan),
        "churn_risk": scatter(ids, keys, rows[:, 3], np.nan),
        "predicted_clv_365": scatter(ids, keys, rows[:, 4], np.nan),
    }


PROVIDER = FactProvider(
    name="predictions",
    facts=(
        FACTS["p_alive"],
        FACTS["expected_purchases_365"],
        Fact("churn_risk", "probability", "The latest fit's churn risk of the customer, from "
             "the ranking its backtest chose; missing without a fit.", nullable=True),
        Fact("predicted_clv_365", "number", "The value the latest fit expects from the "
             "customer over the next 365 days; missing without a fit.", nullable=True),
    ),
    compute=_prediction_facts,
)  # fmt: skip
"""Registered by ``InsightsConfig.ready``."""
