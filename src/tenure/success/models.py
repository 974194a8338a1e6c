"""Onboarding checklists and success plans.

An onboarding's steps are tasks (``tenure.todos``), each keyed ``onboarding:<id>:<step>`` so
that a retry opens none twice; progress and the first-value moment are read from them. A
success plan is an account's roadmap: goals with owners and target dates, their milestones,
and the next review (a reminder task for the account's owner before it, once per date).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Account, Contact, Customer
from tenure.customers.validators import validate_currency


class AppliesTo(models.TextChoices):
    ACCOUNT = "account", "An account"
    CUSTOMER = "customer", "A customer"


class StepOwner(models.TextChoices):
    RECORD_OWNER = "owner", "The account's or customer's owner"
    MEMBER = "member", "A fixed team member"
    ROLE = "role", "The first active member of a role"


class ChecklistTemplate(models.Model):
    name = models.CharField(max_length=120, unique=True)
    applies_to = models.CharField(
        max_length=10, choices=AppliesTo.choices, default=AppliesTo.ACCOUNT
    )
    active = models.BooleanField(default=True)
    builtin = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistStep(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    days_after_start = models.PositiveIntegerField(default=0)
    owner_kind = models.CharField(
        max_length=10, choices=StepOwner.choices, default=StepOwner.RECORD_OWNER
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=30, blank=True)
    first_value = models.BooleanField(default=False)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="checklist_step_once")
        ]

    def __str__(self) -> str:
        return self.title


class Onboarding(models.Model):
    """One template's checklist for one account or customer; ``key`` (``<template>:account:
    <id>``) makes it once, however often the start is asked for. When it completed and
    reached first value are read from its tasks (``selectors.onboarding_view``): the tasks app
    announces no completion, and a task reopened un-completes the step."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="onboardings"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="onboardings"
    )
    key = models.CharField(max_length=100, unique=True)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(customer__isnull=False),
                name="onboarding_has_subject",
            )
        ]

    def __str__(self) -> str:
        return self.key


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    ABANDONED = "abandoned", "Abandoned"


class GoalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    DROPPED = "dropped", "Dropped"


class SuccessPlan(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="success_plan")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    next_review = models.DateField(null=True, blank=True)
    reminder_days = models.PositiveIntegerField(default=7)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    target_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="success_goals"
    )
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.OPEN)
    achieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title


class AppreciationKind(models.TextChoices):
    GIFT = "gift", "Gift"
    THANK_YOU_NOTE = "thank_you_note", "Thank-you note"
    EVENT_INVITATION = "event_invitation", "Event invitation"
    OTHER = "other", "Other"


class Appreciation(models.Model):
    """A gift, a thank-you note or an invitation given to an account (and a person there),
    with its cost, so the team sees who was thanked and when. ``key`` makes a playbook's step
    record one per enrolment, however often it runs."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="appreciations")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="appreciations"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="appreciations"
    )
    kind = models.CharField(max_length=20, choices=AppreciationKind.choices)
    description = models.CharField(max_length=500, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, validators=[validate_currency])
    given_on = models.DateField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField()
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        indexes = [
            models.Index(fields=["account", "given_on"], name="appreciation_account_given"),
            models.Index(fields=["given_on", "id"], name="appreciation_given"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="appreciation_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(kind__in=AppreciationKind.values), name="appreciation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.account_id} on {self.given_on}"
