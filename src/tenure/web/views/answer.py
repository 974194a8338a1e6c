"""The answer first, as the Analytics and Lifecycle pages show it: the sentence and the KPI
strip of ``tenure.lifecycle.overview``, each figure written once here (money in the business's
currency) so both pages say the same thing the same way."""

from __future__ import annotations

from typing import Any

from tenure.analytics.headline import Kpi, figure_words
from tenure.lifecycle.overview import Overview
from tenure.web.templatetags.tenure_web import money

MONEY = "{}"


def money_format() -> str:
    """The business currency's way of writing an amount, with ``{}`` for the figure."""
    return money(0).replace("0.00", MONEY)


def _written(figure: Kpi, value: float | None) -> str:
    if figure.unit == "money":
        return "—" if value is None else money(round(value, 2))
    return figure_words(figure.unit, value)


def answer_context(found: Overview | None) -> dict[str, Any] | None:
    """The template's view of an overview: each KPI with its value, the value before and its
    change in words, an arrow that repeats the words (never colour alone)."""
    if found is None:
        return None
    return {
        "period": found.period,
        "previous": found.previous,
        "sentence": found.sentence,
        "at_risk_now": found.at_risk_now,
        "kpis": [
            {
                "key": figure.key,
                "label": figure.label,
                "value": _written(figure, figure.value),
                "previous": _written(figure, figure.previous),
                "direction": figure.direction,
                "good": figure.good,
                "change": figure.change_words or "no figure to compare",
            }
            for figure in found.kpis
        ],
    }
