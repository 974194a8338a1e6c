"""The built-in broadcast: the quarterly relationship newsletter. Created at every migrate if
missing, as a draft with its template and no segment: an admin chooses the audience and the
date each quarter (a broadcast goes once; next quarter's is a new one with the same template).
Edited or sent, it is left as it is."""

from __future__ import annotations

from typing import Any

from tenure.customers.models import ConsentPurpose
from tenure.mail.models import Broadcast, MessageKind, Template

QUARTERLY = "quarterly-newsletter"
TEMPLATE_NAME = "Quarterly relationship newsletter"
TEMPLATE = {
    "kind": MessageKind.MARKETING,
    "topic": ConsentPurpose.NEWSLETTER,
    "subject": "Our quarter, and what comes next, {{ customer.first_name }}",
    "text": (
        "Hello {{ customer.first_name }},\n\n"
        "Here is what happened with us this quarter, and what is coming next.\n\n"
        "{% if customer.orders_count %}Thank you for your {{ customer.orders_count }} "
        "order{{ 's' if customer.orders_count != 1 else '' }} so far.{% endif %}\n\n"
        "Write back any time: a person reads every answer.\n"
    ),
}


def broadcasts_builtin_ensure() -> Broadcast | None:
    """The quarterly newsletter's draft (and its template), unless it exists already."""
    if Broadcast.objects.filter(builtin=QUARTERLY).exists():
        return None
    template, _ = Template.objects.get_or_create(name=TEMPLATE_NAME, defaults=TEMPLATE)
    if template.kind != MessageKind.MARKETING:
        return None  # someone's own template took the name
    return Broadcast.objects.create(
        name="Quarterly relationship newsletter", template=template, builtin=QUARTERLY
    )


def on_post_migrate(using: str = "default", **kwargs: Any) -> None:
    if using != "default":
        return
    broadcasts_builtin_ensure()
