"""Referral rewards (issue 17): the program's points for both sides, a code per customer, and
one ``ReferralAttribution`` per customer referred (which code brought them, whether it was a
self-referral, their first order, the reward). The referral itself, the advocacy the
lifecycle reads, is the feedback app's ``Referral``, written through its services; the points
are the loyalty ledger's, earned through ``points_earn``. The rules: ``tenure.domain.referrals``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from tenure.customers.models import Customer
from tenure.feedback.models import Referral
from tenure.orders.models import Order

MAX_REWARD_POINTS = 1_000_000


class ReferralProgram(models.Model):
    """The program's settings: one row (``selectors.program``), made when first read. Both
    rewards 0 until a business sets them: nothing is promised before."""

    referrer_points = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_REWARD_POINTS)],
        help_text="points for the customer who referred (0: none)",
    )  # fmt: skip
    referred_points = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_REWARD_POINTS)],
        help_text="points for the customer referred (0: none)",
    )  # fmt: skip
    signup_url = models.URLField(
        blank=True, max_length=500,
        help_text="where a person invited signs up; the link page adds ?referral_code=CODE",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Referral program"


class ReferralCode(models.Model):
    """A customer's code, made on demand; one live code per customer, revocable (a revoked
    code brings nobody new; the referrals it brought stay)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="referral_codes")
    code = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="referral_code_unique"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(revoked_at__isnull=True),
                name="referral_code_one_live_per_customer",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.code


class AttributionStatus(models.TextChoices):
    BLOCKED = "blocked", "Blocked: a self-referral"
    SIGNED_UP = "signed_up", "Signed up, no order yet"
    ORDERED = "ordered", "First order placed, within the refund window"
    REWARDED = "rewarded", "Rewarded"
    NOT_REWARDED = "not_rewarded", "Not rewarded"


class ReferralAttribution(models.Model):
    """A customer brought by another's code: once per customer referred."""

    code = models.ForeignKey(
        ReferralCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="attributions"
    )
    referrer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    referred = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the feedback app's referral (none while blocked)",
    )  # fmt: skip
    status = models.CharField(max_length=12, choices=AttributionStatus.choices)
    reason = models.CharField(
        max_length=200, blank=True, help_text="why it is blocked, or why it was not rewarded"
    )
    attributed_at = models.DateTimeField()
    # The first order by id, no constraint: an order deleted is still the one it was.
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    ordered_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    referrer_points = models.PositiveIntegerField(default=0)
    referred_points = models.PositiveIntegerField(default=0)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=200, blank=True)
    blocked_reason = models.CharField(
        max_length=200, blank=True, help_text="why it was blocked, kept after an override"
    )

    class Meta:
        ordering = ["-attributed_at", "-id"]
        indexes = [
            models.Index(fields=["referrer", "attributed_at"], name="referral_attr_referrer"),
            models.Index(fields=["status"], name="referral_attr_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["referred"], name="referral_attr_once_per_referred"),
            models.CheckConstraint(
                condition=Q(status__in=AttributionStatus.values), name="referral_attr_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Customer {self.referred_id} referred by {self.referrer_id} ({self.status})"
