"""The pure account ranking of "My day", worked by hand on three accounts."""

from __future__ import annotations

from decimal import Decimal

from tenure.domain.worklist import Member, account_worklist_score


def _m(risk: float | None, value: str, days: int | None, health: float | None = None) -> Member:
    return Member(churn_risk=risk, health_score=health, value=Decimal(value), days_to_renewal=days)


def test_three_accounts_by_hand():
    # North: 0.2 on 3000 and 0.6 on 1000 -> risk (600 + 600) / 4000 = 0.3, value 4000,
    # soonest renewal 10 days -> urgency 30/40 = 0.75; score 0.3 x 4000 x 0.75 = 900.
    north = account_worklist_score([_m(0.2, "3000", 10), _m(0.6, "1000", 40)])
    # South: one customer without a prediction, health 20 -> risk 0.8, value (revenue) 500,
    # renews today -> score 0.8 x 500 x 1 = 400.
    south = account_worklist_score([_m(None, "500", 0, health=20)])
    # East: 0.5 on 10000, no renewal -> 0.5 x 10000 x 30/395 = 379.75.
    east = account_worklist_score([_m(0.5, "10000", None)])
    assert (round(north.score, 2), north.risk, north.value, north.days_to_renewal) == (
        900.0,
        0.3,
        Decimal("4000"),
        10,
    )
    assert (round(south.score, 2), south.risk_source) == (400.0, "health")
    assert round(east.score, 2) == 379.75
    ranked = sorted([("north", north), ("south", south), ("east", east)], key=lambda p: -p[1].score)
    assert [name for name, _ in ranked] == ["north", "south", "east"]


def test_no_value_is_an_even_mean_and_no_customers_scores_nothing():
    even = account_worklist_score([_m(0.2, "0", 5), _m(0.6, "0", None)])
    assert round(even.risk, 6) == 0.4 and even.score == 0.0 and even.days_to_renewal == 5
    empty = account_worklist_score([])
    assert (empty.score, empty.risk_source, empty.value) == (0.0, "unknown", Decimal(0))
