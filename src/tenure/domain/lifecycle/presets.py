"""The two built-in lifecycle models, as definitions a business can copy and edit.

``default``: the stages businesses describe (DOMAIN.md) plus *won back*. Design:

- **reach**: a lead (a customer record with no purchase yet).
- **acquisition**: the first purchase, for the first ``ONBOARDING_DAYS`` (14) days: welcome
  and onboarding.
- **development** (development & nurture): still one order, between the end of onboarding and
  the end of the development window (``DEVELOPMENT_WINDOW_DAYS`` = 90 days after the first
  order): the time to build the habit. A second order while in acquisition or development
  (so within the window) makes a **retention** customer. No second order by the end of the
  window makes them **at risk**; if they then buy again they return to retention through the
  recovery rule, so a late second order ends in retention either way.
- **advocacy**: referred someone, or latest NPS 9-10 (a promoter); back to retention when
  neither holds any more (a promoter whose next answer is 7).
- **at risk**: not on a subscription and silent for ``AT_RISK_GAPS`` (2) times their own
  typical gap, or P(alive) below 0.5; or unhappy (latest NPS 0-6, or 2 or more open
  complaints); or no second order within the window. Back to retention (development with one
  order) once none of these holds.
- **churned**: cancelled their subscription and bought nothing since; or not on a subscription
  and silent for ``CHURN_GAPS`` (3) times their typical gap, the same rule as
  ``tenure.analytics.activity.ActivityRule()`` uses for "lost", so the stage and the retention
  figures agree.
- **won back**: an order after churning (and not silent again); the next order after that
  makes them a retention customer again.

``journey``: the finer seven steps (attraction, interest, decision, post-purchase service,
continuous relationship, repeat purchase, referral & expansion) plus **at risk** and
**churned**, which a business running the journey still needs (someone must follow up on the
customers who slip, and churn must be counted). The journey has no "won back" step: a churned
customer who buys again returns to *repeat purchase* by the rule ``won_back``, so the win is
still recorded as a transition with its own rule name. Leads move attraction -> interest (an
interaction logged: a reply, a call) -> decision (a call or meeting held: the sales
conversation).

Subscription customers are judged by their subscription, not by silence (as in
``tenure.analytics.activity``). A subscriber with no order rows stays in acquisition /
post-purchase until an order arrives.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from tenure.domain.lifecycle.model import LifecycleModel

ONBOARDING_DAYS = 14
DEVELOPMENT_WINDOW_DAYS = 90
AT_RISK_GAPS = 2.0
CHURN_GAPS = 3.0
AT_RISK_P_ALIVE = 0.5


def _fact(name: str, op: str, value: Any) -> dict[str, Any]:
    return {"fact": name, "op": op, "value": value}


def _ref(name: str) -> dict[str, Any]:
    return {"condition": name}


def _not(node: dict[str, Any]) -> dict[str, Any]:
    return {"not": node}


def _conditions() -> dict[str, Any]:
    days = "days_since_last_order"
    return {
        "subscribed": _fact("has_active_subscription", "==", True),
        "cancelled": {
            "all": [
                _fact("subscription_cancelled", "==", True),
                {  # cancelled after their last order (or never ordered)
                    "any": [
                        {"fact": days, "op": "missing"},
                        _fact("days_since_cancellation", "<=", {"fact": days}),
                    ]
                },
            ]
        },
        "silent": {
            "all": [
                _not(_ref("subscribed")),
                _fact(days, ">=", {"fact": "typical_gap_days", "times": CHURN_GAPS}),
            ]
        },
        "slowing": {
            "all": [
                _not(_ref("subscribed")),
                _fact(days, ">=", {"fact": "typical_gap_days", "times": AT_RISK_GAPS}),
            ]
        },
        "unlikely_alive": {
            "all": [_not(_ref("subscribed")), _fact("p_alive", "<", AT_RISK_P_ALIVE)]
        },
        "detractor": _fact("latest_nps", "<=", 6),
        "complaining": _fact("open_complaints", ">=", 2),
        "no_second_order": {
            "all": [
                _not(_ref("subscribed")),
                _fact("orders_count", "<=", 1),
                _fact("first_order_days_ago", ">", DEVELOPMENT_WINDOW_DAYS),
            ]
        },
        "at_risk": {
            "any": [
                _ref("slowing"),
                _ref("unlikely_alive"),
                _ref("detractor"),
                _ref("complaining"),
                _ref("no_second_order"),
            ]
        },
        "advocate": {"any": [_fact("referrals_count", ">=", 1), _fact("latest_nps", ">=", 9)]},
        "ordered_in_stage": _fact(days, "<", {"fact": "days_in_stage"}),
    }


def _rule(name: str, sources: list[str] | str, to: str, when: Any, reason: str) -> dict[str, Any]:
    return {"name": name, "from": sources, "to": to, "when": when, "reason": reason}


_GAP = "{days_since_last_order:.0f} days; their usual gap is {typical_gap_days:.0f} days"


def _shared_rules(
    active: list[str], early: list[str], *, retained: str, developing: str, advocacy: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The churn and risk rules (first) and the recovery rules (after), for any stage names."""
    watched = [*active, "at_risk"]
    first = [
        _rule("cancelled", "*", "churned", _ref("cancelled"),
              "Cancelled their subscription {days_since_cancellation:.0f} days ago and has not "
              "bought since"),
        _rule("gone_silent", watched, "churned", _ref("silent"),
              "No order for " + _GAP + f" (churned at {CHURN_GAPS:g} x the gap)"),
        _rule("slowing_down", active, "at_risk", _ref("slowing"),
              "No order for " + _GAP + f" (at risk from {AT_RISK_GAPS:g} x the gap)"),
        _rule("unlikely_alive", active, "at_risk", _ref("unlikely_alive"),
              "Probability of still buying is down to {p_alive:.0%}"),
        _rule("detractor", active, "at_risk", _ref("detractor"),
              "Unhappy: latest NPS answer {latest_nps:.0f} out of 10"),
        _rule("complaints", active, "at_risk", _ref("complaining"),
              "Unhappy: {open_complaints} open complaints"),
        _rule("no_second_order", early, "at_risk", _ref("no_second_order"),
              "No second order within " + str(DEVELOPMENT_WINDOW_DAYS) + " days of the first "
              "({first_order_days_ago:.0f} days ago)"),
    ]  # fmt: skip
    after = [
        _rule("recovered", ["at_risk"], retained,
              {"all": [_not(_ref("at_risk")), {"any": [
                  _fact("orders_count", ">=", 2), _ref("subscribed")]}]},
              "No risk signal any more: last order {days_since_last_order:.0f} days ago, "
              "{open_complaints} open complaints"),
        _rule("recovered_early", ["at_risk"], developing,
              {"all": [_not(_ref("at_risk")), _fact("orders_count", "==", 1)]},
              "No risk signal any more: one order, {first_order_days_ago:.0f} days ago"),
        _rule("no_longer_advocate", [advocacy], retained, _not(_ref("advocate")),
              "No referral, and latest NPS {latest_nps:.0f}: no longer a promoter"),
    ]  # fmt: skip
    return first, after


def _advocacy_rules(sources: list[str], to: str) -> list[dict[str, Any]]:
    return [
        _rule("referral", sources, to, _fact("referrals_count", ">=", 1),
              "Tells others: {referrals_count} referrals made"),
        _rule("promoter", sources, to, _fact("latest_nps", ">=", 9),
              "A promoter: latest NPS answer {latest_nps:.0f} out of 10"),
    ]  # fmt: skip


def _default() -> dict[str, Any]:
    first, after = _shared_rules(
        ["acquisition", "development", "retention", "advocacy", "won_back"],
        ["acquisition", "development"],
        retained="retention",
        developing="development",
        advocacy="advocacy",
    )
    new = ["unstaged", "reach"]
    return {
        "grammar": 1,
        "name": "Default lifecycle",
        "description": "Reach, acquisition, development & nurture, retention, advocacy; "
        "at risk, churned and won back.",
        "stages": [
            {"key": "reach", "name": "Reach",
             "description": "A prospect we can reach: ads, outreach, content, social. Attract "
                            "them and build interest."},
            {"key": "acquisition", "name": "Acquisition",
             "description": "The first purchase. Welcome them, onboard them, show them how to "
                            "get help."},
            {"key": "development", "name": "Development & nurture",
             "description": "From the first to a habitual purchase. Check in (ask how it is "
                            "going; no upsell right after a sale), educate, add value."},
            {"key": "retention", "name": "Retention",
             "description": "A repeat customer. Loyalty program, special-day offers, a record "
                            "of every conversation."},
            {"key": "advocacy", "name": "Advocacy",
             "description": "Tells others: referrals, reviews, promoters. Thank them "
                            "personally, reward referrals."},
            {"key": "at_risk", "name": "At risk",
             "description": "Buying slower than their own rhythm, or unhappy. Follow up "
                            "personally, win them back."},
            {"key": "churned", "name": "Churned",
             "description": "Gone: cancelled, or silent past the rule. Audit what churned "
                            "customers have in common."},
            {"key": "won_back", "name": "Won back",
             "description": "Bought again after churning. Welcome them back personally and "
                            "ask what brought them back."},
        ],
        "conditions": _conditions(),
        "rules": [
            *first[:2],
            _rule("won_back", ["churned"], "won_back",
                  {"all": [_ref("ordered_in_stage"), _not(_ref("silent"))]},
                  "Bought again after churning (last order {days_since_last_order:.0f} days ago)"),
            *first[2:],
            *after,
            *_advocacy_rules(["acquisition", "development", "retention"], "advocacy"),
            _rule("repeat_after_return", ["won_back"], "retention", _ref("ordered_in_stage"),
                  "Bought again since coming back (last order {days_since_last_order:.0f} "
                  "days ago)"),
            _rule("lead", ["unstaged"], "reach", _fact("is_lead", "==", True),
                  "A new lead, not a customer yet"),
            _rule("repeat_purchase", [*new, "acquisition", "development"], "retention",
                  _fact("orders_count", ">=", 2),
                  "Bought again: {orders_count} orders, the first {first_order_days_ago:.0f} "
                  "days ago"),
            _rule("first_order", new, "acquisition",
                  {"any": [_fact("orders_count", ">=", 1), _ref("subscribed")]},
                  "First purchase, {first_order_days_ago:.0f} days ago"),
            _rule("onboarded", ["acquisition"], "development",
                  _fact("first_order_days_ago", ">=", ONBOARDING_DAYS),
                  "Onboarding over: first order {first_order_days_ago:.0f} days ago, no second "
                  "one yet"),
        ],
    }  # fmt: skip


def _journey() -> dict[str, Any]:
    bought = ["post_purchase", "continuous_relationship"]
    first, after = _shared_rules(
        [*bought, "repeat_purchase", "referral_expansion"],
        bought,
        retained="repeat_purchase",
        developing="continuous_relationship",
        advocacy="referral_expansion",
    )
    leads = ["unstaged", "attraction", "interest", "decision"]
    lead = _fact("is_lead", "==", True)
    return {
        "grammar": 1,
        "name": "Seven-step journey",
        "description": "Attraction, interest, decision, post-purchase service, continuous "
        "relationship, repeat purchase, referral & expansion; at risk and churned.",
        "stages": [
            {"key": "attraction", "name": "Attraction",
             "description": "A prospect who has noticed us. Be found: content, ads, outreach."},
            {"key": "interest", "name": "Interest",
             "description": "The prospect has answered or asked. Answer fast, show what we "
                            "do for people like them."},
            {"key": "decision", "name": "Decision",
             "description": "In a sales conversation (a call or meeting held). Set "
                            "expectations early, make buying easy."},
            {"key": "post_purchase", "name": "Post-purchase service",
             "description": "Just bought. Onboard, check in, make getting help easy."},
            {"key": "continuous_relationship", "name": "Continuous relationship",
             "description": "Between purchases. Keep in touch without annoying, report "
                            "results, ask for feedback and act on it."},
            {"key": "repeat_purchase", "name": "Repeat purchase",
             "description": "Buys again. Loyalty program, special-day offers, a roadmap for "
                            "the relationship."},
            {"key": "referral_expansion", "name": "Referral & expansion",
             "description": "Refers others or is a promoter. Thank personally, reward "
                            "referrals, grow the account."},
            {"key": "at_risk", "name": "At risk",
             "description": "Buying slower than their own rhythm, or unhappy. Follow up "
                            "personally."},
            {"key": "churned", "name": "Churned",
             "description": "Gone: cancelled, or silent past the rule. Audit what churned "
                            "customers have in common."},
        ],
        "conditions": _conditions(),
        "rules": [
            *first[:2],
            _rule("won_back", ["churned"], "repeat_purchase",
                  {"all": [_ref("ordered_in_stage"), _not(_ref("silent"))]},
                  "Won back: bought again after churning (last order "
                  "{days_since_last_order:.0f} days ago)"),
            *first[2:],
            *after,
            *_advocacy_rules([*bought, "repeat_purchase"], "referral_expansion"),
            _rule("sales_conversation", leads[:3], "decision",
                  {"all": [lead, _fact("meetings_count", ">=", 1)]},
                  "A lead in a sales conversation: {meetings_count} calls or meetings held"),
            _rule("interested", leads[:2], "interest",
                  {"all": [lead, _fact("interactions_count", ">=", 1)]},
                  "A lead who engaged: {interactions_count} interactions logged"),
            _rule("attracted", ["unstaged"], "attraction", lead,
                  "A new lead, not engaged yet"),
            _rule("repeat", [*leads, *bought], "repeat_purchase",
                  _fact("orders_count", ">=", 2),
                  "Bought again: {orders_count} orders, the first {first_order_days_ago:.0f} "
                  "days ago"),
            _rule("first_purchase", leads, "post_purchase",
                  {"any": [_fact("orders_count", ">=", 1), _ref("subscribed")]},
                  "First purchase, {first_order_days_ago:.0f} days ago"),
            _rule("settled", ["post_purchase"], "continuous_relationship",
                  _fact("first_order_days_ago", ">=", 30),
                  "First order {first_order_days_ago:.0f} days ago: the relationship goes on "
                  "between purchases"),
        ],
    }  # fmt: skip


_PRESETS = {"default": _default, "journey": _journey}
PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)


def preset_definition(name: str = "default") -> dict[str, Any]:
    """A fresh copy of a built-in definition (``"default"`` or ``"journey"``), to edit."""
    if name not in _PRESETS:
        raise KeyError(f"unknown preset {name!r}: choose one of {', '.join(_PRESETS)}")
    return copy.deepcopy(_PRESETS[name]())


@cache
def preset_model(name: str = "default") -> LifecycleModel:
    """A built-in definition, validated (cached: models are immutable)."""
    from tenure.domain.lifecycle.parse import definition_validate

    return definition_validate(preset_definition(name))
