"""The facts a lifecycle rule may read: one number, yes/no or category per customer.

Two sources. The built-in facts of :data:`FACTS` come from what happened to the customer
(orders, subscriptions, cases, conversations, answers, referrals, the fitted model, the stage):
their meaning is defined here, and the replay computes them at any past moment from the
customer's timeline (:mod:`tenure.domain.lifecycle.timeline`). The *timeless* facts are
registered by the apps that hold them (:mod:`tenure.domain.facts`: the customer's channel and
category, their account's industry and size, and imported attributes as ``attribute.<name>``):
they have no history, so every moment of a replay reads their current value.
:func:`rule_facts` lists both; only the facts a model's rules use are computed
(:attr:`LifecycleModel.facts_used`).

Time is in days measured at the moment of evaluation (``now``, a parameter of whoever computes
the facts): "days since the last order" is ``now - last order``, in days, fractional or whole as
the caller chooses, as long as every fact uses the same clock.

Missing values are NaN (None for a category). A comparison with a missing value is false (see
the grammar in :mod:`tenure.domain.lifecycle`); test for it with the ``missing`` / ``known``
operators.
"""

from __future__ import annotations

from tenure.domain.facts import KIND_WORDS, REGISTRY, Fact, FactKind

__all__ = ["FACTS", "GROWING", "KIND_WORDS", "STAGE_CLOCK", "Fact", "FactKind", "rule_facts"]

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


def rule_facts() -> dict[str, Fact]:
    """Every fact a rule may read by name (``attribute.<name>`` aside): the built-in ones of
    :data:`FACTS`, then the timeless facts the apps registered, in the order the rule editor
    lists them."""
    return {**FACTS, **{n: f for n, f in REGISTRY.rule_facts().items() if n not in FACTS}}
