"""Starting an onboarding: one per (template, account or customer), its steps opened as tasks.

Each step's task is keyed ``onboarding:<onboarding>:<step>`` (``Task.source_key``), so a start
asked for again (the same event delivered twice, a playbook step retried, an API call repeated)
finds the onboarding and opens no task twice. The tasks are opened with the onboarding, in its
transaction, from the template's steps of that moment: a step added to the template later is
not added to a running onboarding (changes apply to new onboardings only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access.records import require_change
from tenure.customers.models import Account, Customer
from tenure.customers.services import check_references
from tenure.success.events import ONBOARDING_STARTED, success_event
from tenure.success.models import AppliesTo, ChecklistStep, ChecklistTemplate, Onboarding, StepOwner
from tenure.todos.models import TaskSource
from tenure.todos.services import task_create
from tenure.users.models import User


def task_key(onboarding_id: int, step_id: int) -> str:
    return f"onboarding:{onboarding_id}:{step_id}"


def step_owner(step: ChecklistStep, record_owner_id: int | None) -> int | None:
    """Who owns a step's task: the record's owner, the fixed member, or the first active
    member of the role (by id: the same member every time)."""
    if step.owner_kind == StepOwner.MEMBER:
        return step.member_id
    if step.owner_kind == StepOwner.ROLE:
        found = User.objects.filter(role=step.role, is_active=True).order_by("id").first()
        return found.pk if found else None
    return record_owner_id


def _subject(
    template: ChecklistTemplate, account_id: int | None, customer_id: int | None
) -> tuple[str, Account | Customer]:
    if (account_id is None) == (customer_id is None):
        raise ValidationError({"account_id": ["name one account or one customer"]})
    if template.applies_to == AppliesTo.ACCOUNT and account_id is None:
        raise ValidationError({"account_id": [f"“{template.name}” is for accounts"]})
    if template.applies_to == AppliesTo.CUSTOMER and customer_id is None:
        raise ValidationError({"customer_id": [f"“{template.name}” is for customers"]})
    if account_id is not None:
        return f"{template.pk}:account:{account_id}", Account.objects.get(pk=account_id)
    assert customer_id is not None  # one of the two, checked above
    return f"{template.pk}:customer:{customer_id}", Customer.objects.get(pk=customer_id)


@transaction.atomic
def onboarding_start(
    *,
    by: User | None,
    template_id: int,
    now: datetime,
    account_id: int | None = None,
    customer_id: int | None = None,
) -> tuple[Onboarding, bool]:
    """The onboarding of ``template`` for the account or customer, started now if it was not
    (and its missing step tasks opened); ``(onboarding, whether it is new)``."""
    require_change(by)
    check_references(by, {"account_id": account_id, "customer_id": customer_id})
    template = ChecklistTemplate.objects.filter(pk=template_id, active=True).first()
    if template is None:
        raise ValidationError({"template_id": [f"no active checklist template {template_id}"]})
    key, subject = _subject(template, account_id, customer_id)
    onboarding, new = Onboarding.objects.select_for_update().get_or_create(
        key=key,
        defaults={
            "template": template, "account_id": account_id, "customer_id": customer_id,
            "started_at": now, "started_by": by,
        },
    )  # fmt: skip
    if new:
        _open_tasks(by, onboarding, template, subject)
        success_event(
            ONBOARDING_STARTED, subject="onboarding", subject_id=onboarding.pk,
            customer_id=customer_id, template_id=template.pk, account_id=account_id,
        )  # fmt: skip
    return onboarding, new


def _open_tasks(
    by: User | None, onboarding: Onboarding, template: ChecklistTemplate, subject: object
) -> None:
    from tenure.todos.models import Task

    keys = [task_key(onboarding.pk, step.pk) for step in template.steps.all()]
    have = set(Task.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    record_owner = getattr(subject, "owner_id", None)
    start = onboarding.started_at.date()
    for step in template.steps.all():
        key = task_key(onboarding.pk, step.pk)
        if key in have:
            continue
        owner = step_owner(step, record_owner)
        if owner is None:
            raise ValidationError(
                {"template_id": [f"step “{step.title}” has no owner: give {subject} an owner"]}
            )
        # Opened for the team as the system: ``by`` was checked on the account above, and a
        # step's owner (a manager, a fixed member) need not be one ``by`` may assign to.
        due = start + timedelta(days=step.days_after_start)
        task_create(
            by=None, title=step.title, owner=owner, due=due,
            account_id=onboarding.account_id, customer_id=onboarding.customer_id,
            source=TaskSource.PLAYBOOK if by is None else TaskSource.MANUAL,
            rule="onboarding", source_key=key,
        )  # fmt: skip
