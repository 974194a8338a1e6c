"""The lifecycle's follow-ups: from the at-risk list, and opened by rules (a complaint).

They are tasks of ``tenure.todos``, created by its ``task_create`` as every task is. A rule's
task is claimed by ``Task.source_key`` (``complaint:<id>``), and an at-risk task by the partial
unique constraint "one open at-risk task per customer", so a delivery twice or a double click
opens one task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenure.access import get_visible_or_404
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.interactions.models import CaseStatus, Interaction
from tenure.lifecycle.models import CustomerStage
from tenure.todos.models import Task, TaskPriority, TaskSource, TaskStatus
from tenure.todos.services import task_create
from tenure.users.models import User

AT_RISK_DUE_DAYS = 2
COMPLAINT_DUE_DAYS = 1
COMPLAINT_RULE = "complaint_follow_up"


def _open_at_risk(customer_id: int) -> Task | None:
    return Task.objects.filter(
        customer_id=customer_id, source=TaskSource.AT_RISK, status=TaskStatus.OPEN
    ).first()


def task_from_at_risk(*, by: User | None, customer_id: int, now: datetime | None = None) -> Task:
    """The one-click follow-up from the at-risk list: the open at-risk task of the customer,
    created if there is none (title and body from the stage's reason and the health
    drivers; owner: the customer's owner, else ``by``; due in two days, high priority)."""
    if by is None:
        customer = Customer.objects.get(pk=customer_id)
    else:
        customer = get_visible_or_404(by, Customer, Action.CHANGE, pk=customer_id)
    existing = _open_at_risk(customer_id)
    if existing is not None:
        return existing
    stage = CustomerStage.objects.filter(customer_id=customer_id).first()
    health = getattr(customer, "health", None)
    reason = stage.reason if stage is not None and stage.reason else "Flagged on the at-risk list"
    body = reason + (f"\n\nHealth: {health.explanation}" if health is not None else "")
    today = timezone.localdate(now or timezone.now())
    try:
        with transaction.atomic():
            return task_create(
                by=by, title=f"Win back {customer.name or customer.external_id}",
                owner=customer.owner_id or by, due=today + timedelta(days=AT_RISK_DUE_DAYS),
                priority=TaskPriority.HIGH, customer_id=customer_id, source=TaskSource.AT_RISK,
                body=body,
            )  # fmt: skip
    except (IntegrityError, ValidationError):
        found = _open_at_risk(customer_id)  # a concurrent click created it
        if found is None:
            raise
        return found


def complaint_follow_up(*, interaction_id: int) -> Task | None:
    """The rule "a complaint logged opens a personal follow-up for the owner": one task per
    complaint (claimed by ``source_key``), for the customer's owner, else the complaint's
    author; None when the customer has neither or the task exists already."""
    interaction = Interaction.objects.select_related("customer").filter(pk=interaction_id).first()
    if interaction is None or interaction.customer is None:
        return None
    if interaction.status == CaseStatus.RESOLVED:
        return None  # resolved before we heard of it (a history imported): nothing to follow up
    customer = interaction.customer
    owner = customer.owner_id or interaction.author_id
    key = f"complaint:{interaction_id}"
    if owner is None or Task.objects.filter(source_key=key).exists():
        return None
    what = interaction.subject or interaction.body[:80]
    who = customer.name or customer.external_id
    today = timezone.localdate()
    try:
        with transaction.atomic():
            return task_create(
                by=None, title=f"Follow up the complaint of {who}",
                owner=owner, due=today + timedelta(days=COMPLAINT_DUE_DAYS),
                priority=TaskPriority.HIGH, customer_id=customer.pk, source=TaskSource.RULE,
                rule=COMPLAINT_RULE, source_key=key, interaction_id=interaction_id,
                body=f"Complaint logged: {what}. Call them personally.",
            )  # fmt: skip
    except ValidationError:  # delivered twice at once: the other delivery created it
        return None
