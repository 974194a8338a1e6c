"""The built-in onboarding checklist, made at every migrate if missing (editable after)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tenure.success.models import AppliesTo, ChecklistStep, ChecklistTemplate, StepOwner

NEW_ACCOUNTS = "Onboard new accounts"

BUILTIN_STEPS = (
    # (title, days after start, owner, role, first value)
    ("Kickoff meeting with the account", 2, StepOwner.RECORD_OWNER, "", False),
    ("Set up: their users, data and access", 7, StepOwner.RECORD_OWNER, "", False),
    ("Check the set-up is complete", 10, StepOwner.ROLE, "manager", False),
    ("First value reached: they use it for real", 30, StepOwner.RECORD_OWNER, "", True),
)


@transaction.atomic
def templates_builtin_ensure() -> ChecklistTemplate:
    """The built-in account onboarding checklist; left as edited when there."""
    found = ChecklistTemplate.objects.filter(builtin="new_accounts").first()
    if found is not None:
        return found
    template = ChecklistTemplate.objects.create(
        name=NEW_ACCOUNTS, applies_to=AppliesTo.ACCOUNT, builtin="new_accounts"
    )
    for position, (title, days, owner, role, first_value) in enumerate(BUILTIN_STEPS):
        ChecklistStep.objects.create(
            template=template, position=position, title=title, days_after_start=days,
            owner_kind=owner, role=role, first_value=first_value,
        )  # fmt: skip
    return template


def on_post_migrate(using: str = "default", **kwargs: Any) -> None:
    if using == "default" and not ChecklistTemplate.objects.filter(name=NEW_ACCOUNTS).exists():
        templates_builtin_ensure()
