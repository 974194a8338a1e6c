"""tenure's own templates and broadcast: the emails the built-in playbooks and the quarterly
newsletter send, created at every migrate if missing (templates by slug) and then the
business's to edit: an edited or deleted one is never put back or overwritten. The newsletter
is a draft broadcast with its template and no segment: an admin chooses the audience and the
date each quarter (a broadcast goes once; next quarter's is a new one with the same template).

The copy asks and helps rather than sells (a check-in asks how it is going; the offers say
what they are); it names no link the business has not given, since tenure cannot know where
its documents live: replies reach the team (the From address), which is the help we can
promise everywhere.
"""

from __future__ import annotations

from typing import Any

from tenure.mail.models import Broadcast, MessageKind, Template

_HELLO = "Hello {{ customer.first_name or 'there' }},"

BUILTIN: dict[str, dict[str, Any]] = {
    "welcome-introduction": {
        "name": "Welcome: introduction",
        "topic": "email_marketing",
        "subject": "Welcome, {{ customer.first_name or 'and thank you' }}",
        "text": f"""{_HELLO}

thank you for choosing us. Over the next few days we will send you two short emails: one with
what you need to get started, one with how to reach us when something is not right.

If you have a question before then, reply to this email: it reaches a person on our team.
""",
    },
    "welcome-onboarding-documents": {
        "name": "Welcome: getting started",
        "topic": "email_marketing",
        "subject": "Getting started",
        "text": f"""{_HELLO}

here is what helps most in the first weeks: the guides and documents for what you bought, and
the answers to the questions new customers ask us most. If anything is missing or unclear,
reply and tell us: we read every answer and will send you what you need.
""",
    },
    "welcome-getting-help": {
        "name": "Welcome: how to get help",
        "topic": "email_marketing",
        "subject": "When you need us",
        "text": f"""{_HELLO}

one last note from the welcome series: when something goes wrong or you are unsure, reply to
any of our emails. Your message reaches your contact on our team, and we answer personally.
""",
    },
    "post-purchase-check-in": {
        "name": "Post-purchase check-in",
        "topic": "email_marketing",
        "subject": "How is it going, {{ customer.first_name or 'friend' }}?",
        "text": f"""{_HELLO}

it has been about a week since your order. How is it going? Is everything as you expected?

Just reply with a line or two, good or bad: it goes to a person, not a machine, and if
something is not right we will put it right.
""",
    },
    "special-day-offer": {
        "name": "Special-day offer",
        "topic": "offers",
        "subject": "Happy birthday, {{ customer.first_name or 'from all of us' }}!",
        "text": f"""{_HELLO}

happy birthday from all of us. To celebrate, your next order is on us in part: reply to this
email and we will take 15 % off it. The offer is yours for the next 30 days.
""",
    },
    "win-back-offer": {
        "name": "Win-back offer",
        "topic": "offers",
        "subject": "We miss you, {{ customer.first_name or 'old friend' }}",
        "text": f"""{_HELLO}

we have not seen you for a while, and we would like to know why: did we get something wrong?
Reply and tell us; we read every answer.

If you would like to come back, your next order has 10 % off for the next 30 days.
""",
    },
    "relationship-newsletter": {
        "name": "Quarterly relationship newsletter",
        "topic": "newsletter",
        "subject": "Our quarter, and what comes next, {{ customer.first_name }}",
        "text": (
            "Hello {{ customer.first_name or 'there' }},\n\n"
            "Here is what happened with us this quarter, and what is coming next.\n\n"
            "{% if customer.orders_count %}Thank you for your {{ customer.orders_count }} "
            "order{{ 's' if customer.orders_count != 1 else '' }} so far.{% endif %}\n\n"
            "Write back any time: a person reads every answer.\n"
        ),
    },
}


def templates_builtin_ensure() -> list[Template]:
    """Create each built-in template whose slug is missing."""
    taken = set(Template.objects.filter(slug__in=BUILTIN).values_list("slug", flat=True))
    names = set(Template.objects.values_list("name", flat=True))
    made = []
    for slug, fields in BUILTIN.items():
        if slug in taken:
            continue
        name = fields["name"] if fields["name"] not in names else f"{fields['name']} ({slug})"
        made.append(
            Template.objects.create(
                slug=slug, builtin=True, kind=MessageKind.MARKETING, **{**fields, "name": name}
            )
        )
    return made


QUARTERLY = "quarterly-newsletter"
NEWSLETTER_TEMPLATE = "relationship-newsletter"


def broadcasts_builtin_ensure() -> Broadcast | None:
    """The quarterly newsletter's draft, unless it exists already (or its template is gone or
    no longer marketing)."""
    if Broadcast.objects.filter(builtin=QUARTERLY).exists():
        return None
    template = Template.objects.filter(slug=NEWSLETTER_TEMPLATE).first()
    if template is None or template.kind != MessageKind.MARKETING:
        return None
    return Broadcast.objects.create(
        name="Quarterly relationship newsletter", template=template, builtin=QUARTERLY
    )


def on_post_migrate(using: str = "default", **_: Any) -> None:
    if using != "default":
        return
    templates_builtin_ensure()
    broadcasts_builtin_ensure()
