"""The KPI strip's changes and the page's sentence, on hand-worked figures."""

from __future__ import annotations

from decimal import Decimal

from tenure.analytics.headline import figure_words, headline_sentence, kpi


def test_a_rate_moves_in_points_and_says_which_way():
    retention = kpi("retention", "Retention", "percent", 89.0, 91.0)
    assert retention.change == -2.0 and retention.change_unit == "points"
    assert retention.direction == "down" and retention.good is False
    assert retention.change_words == "down 2.0 points"
    churn = kpi("churn", "Churn", "percent", 11.0, 9.0, higher_is_better=False)
    assert churn.change_words == "up 2.0 points" and churn.good is False
    assert kpi("r", "R", "percent", 90.0, 89.0).change_words == "up 1.0 point"


def test_a_count_or_an_amount_moves_in_per_cent():
    revenue = kpi("revenue", "Revenue", "money", Decimal("104.00"), Decimal("100.00"))
    assert revenue.change == 4.0 and revenue.change_words == "up 4.0 %" and revenue.good
    assert kpi("a", "A", "count", 30, 40).change_words == "down 25.0 %"
    assert kpi("a", "A", "count", 5, 5).change_words == "unchanged"
    from_none = kpi("a", "A", "count", 3, 0)
    assert from_none.change is None and from_none.change_words == "up from none"
    unknown = kpi("nps", "NPS", "score", None, 20)
    assert unknown.change is None and unknown.change_words == "" and unknown.good is None


def test_the_sentence_says_the_strips_figures():
    strip = [
        kpi("retention", "Retention", "percent", 89.0, 91.0),
        kpi("became_at_risk", "Became at risk", "count", 31, 25),
        kpi("churned", "Churned", "count", 12, 10),
        kpi("revenue_per_customer", "Revenue per customer", "money", 104, 100),
    ]
    assert headline_sentence(strip, period="2026 Q3", previous="2026 Q2", money="${}") == (
        "Retention in 2026 Q3 was 89.0 %, down 2.0 points from 2026 Q2; 31 customers became "
        "at risk; 12 customers churned; revenue per buyer $104.00, up 4.0 %."
    )
    alone = [kpi("churned", "Churned", "count", 1, 0)]
    assert headline_sentence(alone, period="May 2026", previous="April 2026") == (
        "1 customer churned in May 2026."
    )
    assert headline_sentence([], period="May 2026", previous="April 2026").startswith(
        "No figures for May 2026"
    )


def test_figures_are_written_as_people_read_them():
    assert figure_words("percent", 89.04) == "89.0 %"
    assert figure_words("count", 1204) == "1,204"
    assert figure_words("score", 32) == "+32"
    assert figure_words("money", 12480.5) == "12,480.50"
    assert figure_words("count", None) == "—"
