"""The facts a lifecycle rule may read: one number (or yes/no) per customer.

The Django side computes them per customer (from orders, subscriptions, feedback, the fitted
purchase model and the stored stage) and hands them to :func:`lifecycle_evaluate` as NumPy
columns or a DataFrame. Only the facts a model's rules use are needed
(:attr:`LifecycleModel.facts_used`).

Time is in days measured at the moment of evaluation (``now``, a parameter of whoever computes
the facts): "days since the last order" is ``now - last order``, in days, fractional or whole as
the caller chooses, as long as every fact uses the same clock.

Missing values are NaN. A comparison with a missing value is false (see the grammar in
:mod:`tenure.domain.lifecycle`); test for it with the ``missing`` / ``known`` operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactKind = Literal["count", "days", "probability", "score", "number", "flag"]

KIND_WORDS: dict[str, str] = {
    "count": "a count (a whole number >= 0)",
    "days": "a number of days",
    "probability": "a probability between 0 and 1",
    "score": "a score",
    "number": "a number",
    "flag": "a yes/no fact",
}


@dataclass(frozen=True)
class Fact:
    """One column the engine reads.

    Attributes
    ----------
    name : str
        The column name, as rules and reason templates spell it.
    kind : {"count", "days", "probability", "score", "number", "flag"}
        Flags are compared with ``true``/``false``; every other kind with numbers.
    description : str
        What it measures, for the rule editor.
    nullable : bool
        Whether NaN (missing) is a legal value; counts and flags are never missing.
    """

    name: str
    kind: FactKind
    description: str
    nullable: bool = False


_FACTS = (
    Fact("orders_count", "count", "Completed orders the customer has placed, ever."),
    Fact(
        "first_order_days_ago",
        "days",
        "Days since the customer's first completed order; missing without an order.",
        nullable=True,
    ),
    Fact(
        "days_since_last_order",
        "days",
        "Days since the customer's latest completed order; missing without an order.",
        nullable=True,
    ),
    Fact(
        "typical_gap_days",
        "days",
        "The customer's own rhythm: their mean gap between purchase days (first to last "
        "purchase day over the gaps between them); for a customer with one purchase day, the "
        "median gap of the repeat buyers (as tenure.analytics.activity does); missing without "
        "an order, or when nobody has bought twice yet.",
        nullable=True,
    ),
    Fact(
        "p_alive",
        "probability",
        "Probability that the customer is still buying, from the fitted BG/NBD model (eq. 11 of "
        "Fader, Hardie & Lee 2005, 'Counting your customers the easy way'); missing when no "
        "model is fitted.",
        nullable=True,
    ),
    Fact(
        "expected_purchases_365",
        "number",
        "Purchases the fitted model expects from the customer over the next 365 days; missing "
        "when no model is fitted.",
        nullable=True,
    ),
    Fact(
        "has_active_subscription",
        "flag",
        "The customer has a subscription that started and is not cancelled.",
    ),
    Fact(
        "subscription_cancelled",
        "flag",
        "The customer has cancelled a subscription and has no active one left.",
    ),
    Fact(
        "days_since_cancellation",
        "days",
        "Days since the customer's latest subscription cancellation; missing if they never "
        "cancelled. Compared with days_since_last_order it tells whether they bought again "
        "after cancelling.",
        nullable=True,
    ),
    Fact("referrals_count", "count", "Customers this customer has referred, ever."),
    Fact(
        "latest_nps",
        "score",
        "The customer's latest Net Promoter answer, 0 to 10 (9-10 promoter, 0-6 detractor); "
        "missing if they never answered.",
        nullable=True,
    ),
    Fact("open_complaints", "count", "Complaints and tickets of the customer not yet resolved."),
    Fact(
        "is_lead",
        "flag",
        "A known prospect: a customer record with no order and no subscription yet.",
    ),
    Fact(
        "interactions_count",
        "count",
        "Interactions logged with the customer: calls, meetings, emails, notes.",
    ),
    Fact("meetings_count", "count", "Calls and meetings held with the customer."),
    Fact(
        "days_in_stage",
        "days",
        "Days since the customer entered their current stage; missing for a customer not yet "
        "in any stage. The engine sets it to 0 after it moves a customer, so a rule that asks "
        "'did something happen since the stage began' (e.g. days_since_last_order < "
        "days_in_stage) cannot fire twice on the same event.",
        nullable=True,
    ),
)

FACTS: dict[str, Fact] = {fact.name: fact for fact in _FACTS}
"""Every fact a lifecycle rule may read, by name, in the order the rule editor lists them."""

STAGE_CLOCK = "days_in_stage"
"""The fact the engine resets to 0 when it moves a customer within one evaluation."""

GROWING: frozenset[str] = frozenset(
    {"first_order_days_ago", "days_since_last_order", "days_since_cancellation", STAGE_CLOCK}
)
"""The facts that change by themselves: each grows by one a day between two events (every
other fact, ``typical_gap_days`` included, changes only when something happens). The replay
(``tenure.domain.lifecycle.replay``) solves when a rule reading them comes true."""
