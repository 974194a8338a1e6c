"""The built-in playbooks: created off at every migrate if missing, editable like any other.

Their email steps name templates by slug (``welcome-introduction``, ...): the mail app makes
those templates at migrate (``tenure.mail.builtin``); a playbook naming one that was deleted
cannot be switched on (``steps[0].template: no email template ...``).

The quarterly relationship newsletter is not a playbook: it goes to a whole audience at once
on a date, not to one customer when something happens, so it is a broadcast (a segment, a
schedule, pause and resume), which the mail app's broadcasts will hold.
"""

from __future__ import annotations

from typing import Any

from tenure.playbooks.models import Playbook

NEW_CUSTOMER = {"type": "event", "kind": "stage.entered", "match": {"role": "new"}}

BUILTIN: dict[str, dict[str, Any]] = {
    "welcome": {
        "name": "Welcome series",
        "slug": "welcome-series",
        "description": "Three emails over the first week of a new customer: an introduction, "
        "the onboarding documents, how to get help.",
        "priority": 200,
        "trigger": NEW_CUSTOMER,
        "steps": [
            {"kind": "email", "template": "welcome-introduction", "class": "marketing"},
            {"kind": "wait", "days": 2},
            {"kind": "email", "template": "welcome-onboarding-documents", "class": "marketing"},
            {"kind": "wait", "days": 3},
            {"kind": "email", "template": "welcome-getting-help", "class": "marketing"},
        ],
        "reentry": "once",
    },
    "post_purchase": {
        "name": "Post-purchase check-in",
        "slug": "post-purchase-check-in",
        "description": "A week after an order, ask how it is going; no promotion of any "
        "playbook reaches the customer within 14 days of a purchase.",
        "priority": 150,
        "trigger": {"type": "event", "kind": "order.placed"},
        "steps": [
            {"kind": "wait", "days": 7},
            {"kind": "email", "template": "post-purchase-check-in", "class": "marketing"},
        ],
        "reentry": {"once_per_days": 30},
        "no_promotion_days": 14,
    },
    "special_day": {
        "name": "Special-day offer",
        "slug": "special-day-offer",
        "description": "On the customer's birthday, in their own time zone, an offer; once a year.",
        "priority": 100,
        "trigger": {"type": "special_date", "date": "birthday"},
        "steps": [
            {
                "kind": "email",
                "template": "special-day-offer",
                "class": "marketing",
                "promotion": True,
                "topic": "offers",
                "valid_days": 1,
            },
        ],
        "reentry": "every",
    },
    "win_back": {
        "name": "Win-back for at-risk customers",
        "slug": "win-back",
        "description": "When a customer enters an at-risk stage: a task for their owner, an "
        "offer, and a second call if they have not ordered within two weeks.",
        "priority": 120,
        "trigger": {"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}},
        "steps": [
            {
                "kind": "task",
                "title": "Win back {customer}",
                "due_days": 2,
                "priority": "high",
                "body": "They entered an at-risk stage: call them personally.",
            },
            {
                "kind": "email",
                "template": "win-back-offer",
                "class": "marketing",
                "promotion": True,
                "topic": "offers",
            },
            {"kind": "branch", "on": "ordered", "within_days": 14, "goto": 4},
            {
                "kind": "task",
                "title": "No order from {customer} since the offer: call again",
                "due_days": 1,
                "priority": "high",
            },
        ],
        "reentry": {"once_per_days": 90},
    },
    "complaint_follow_up": {
        "name": "Follow-up task for each complaint and detractor",
        "slug": "complaint-and-detractor-follow-up",
        "description": "A personal follow-up for the owner of every complaint and every NPS "
        "answer of 6 or less. A complaint's task is the one the built-in complaint rule "
        "opens (one per complaint, whichever comes first).",
        "priority": 300,
        "trigger": {
            "type": "event",
            "events": [
                {"kind": "complaint.opened", "match": {"kind": "complaint"}},
                {"kind": "survey.answered", "match": {"kind": "nps", "score": {"lte": 6}}},
            ],
        },
        "steps": [
            {
                "kind": "task",
                "title": "Follow up {customer} personally",
                "due_days": 1,
                "priority": "high",
                "claim": True,
                "body": "A complaint or a low NPS answer: call them and write down what you hear.",
            },
        ],
        "reentry": "every",
    },
    "onboard_accounts": {
        "name": "Onboard new accounts",
        "slug": "onboard-new-accounts",
        "description": "When a new account's first customer is created, start the account's "
        "onboarding checklist (kickoff, set-up, first value): its steps become tasks for "
        "their owners, once per account.",
        "priority": 250,
        "trigger": {"type": "event", "kind": "customer.created"},
        "steps": [
            {"kind": "start_onboarding", "template": "Onboard new accounts", "for": "account"},
        ],
        "reentry": "once",
    },
    # The loyalty program's bonus events, a playbook away (switched on with the program).
    "birthday_points": {
        "name": "Birthday bonus points",
        "slug": "birthday-bonus-points",
        "description": "On the customer's birthday, in their own time zone, 100 bonus points; "
        "once a year. Needs the loyalty program switched on.",
        "priority": 90,
        "trigger": {"type": "special_date", "date": "birthday"},
        "steps": [{"kind": "award_points", "points": 100, "cause": "birthday bonus"}],
        "reentry": "every",
    },
    "survey_points": {
        "name": "Points for an answered survey",
        "slug": "survey-answer-points",
        "description": "20 points to thank a customer for answering a survey, whatever the "
        "answer; at most once in 30 days. Needs the loyalty program switched on.",
        "priority": 80,
        "trigger": {"type": "event", "kind": "survey.answered"},
        "steps": [{"kind": "award_points", "points": 20, "cause": "thanks for your answer"}],
        "reentry": {"once_per_days": 30},
    },
}


def playbooks_builtin_ensure() -> list[Playbook]:
    """Create each built-in playbook missing (switched off); those there are left as edited."""
    from tenure.playbooks.services import playbook_create

    made = []
    for key, definition in BUILTIN.items():
        if Playbook.objects.filter(builtin=key).exists():
            continue
        if Playbook.objects.filter(slug=definition["slug"]).exists():
            continue  # someone's own playbook took the slug
        made.append(playbook_create(by=None, data={**definition, "enabled": False}, builtin=key))
    return made


def on_post_migrate(using: str = "default", **kwargs: Any) -> None:
    if using != "default":
        return
    playbooks_builtin_ensure()
