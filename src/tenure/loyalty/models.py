"""The points ledger (issue 17): the program's settings, ``PointsEntry`` (append-only: every
earn, redemption, expiry, adjustment, reversal and restore, each once by its ``source_key``),
``PointsLot`` (what each earn left unspent, and when it expires), ``LotUse`` (which lots an
entry took from or gave back to, so a cancel restores exactly) and ``LoyaltyBalance`` (the
customer's cached balance, locked ``SELECT ... FOR UPDATE`` by every write: concurrent
redemptions of one customer wait for each other). The arithmetic is ``tenure.domain.loyalty``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from tenure.customers.models import Customer
from tenure.orders.models import Order


class Rounding(models.TextChoices):
    FLOOR = "floor", "Down to whole points"
    HALF_UP = "half_up", "To the nearest whole point (halves up)"


class LoyaltyProgram(models.Model):
    """The program's settings: one row (``selectors.program``), made when first read. Off
    until a business switches it on, so orders earn nothing before."""

    enabled = models.BooleanField(default=False)
    points_per_unit = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100000"))],
        help_text="points per unit of the order's currency",
    )  # fmt: skip
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.FLOOR)
    lot_lifetime_days = models.PositiveIntegerField(
        null=True, blank=True, default=365, validators=[MaxValueValidator(36500)],
        help_text="days an earn's points live, from the order's moment (empty: forever)",
    )  # fmt: skip
    negative_floor = models.IntegerField(
        default=-500, validators=[MaxValueValidator(0), MinValueValidator(-10_000_000)],
        help_text="how far below zero a reversal may take the balance (0: never negative)",
    )  # fmt: skip
    refund_window_days = models.PositiveIntegerField(
        default=30, validators=[MaxValueValidator(3650)],
        help_text="days an order may still be refunded (for referral rewards, later)",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(negative_floor__lte=0), name="loyalty_floor_lte_0"),
            models.CheckConstraint(condition=Q(points_per_unit__gte=0), name="loyalty_rate_gte_0"),
        ]

    def __str__(self) -> str:
        return "Loyalty program"


class EntryKind(models.TextChoices):
    EARN = "earn", "Earned"
    REDEEM = "redeem", "Redeemed"
    EXPIRE = "expire", "Expired"
    ADJUST = "adjust", "Adjusted"
    REVERSE = "reverse", "Reversed"
    RESTORE = "restore", "Restored"


class PointsEntry(models.Model):
    """One movement of a customer's points; never edited or deleted. ``points`` is signed;
    ``written_off``: a reversal's points beyond the negative floor (not taken, but said)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="points_entries", db_index=False
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    points = models.IntegerField()
    written_off = models.IntegerField(default=0)
    cause = models.CharField(max_length=200, blank=True)
    # Unique by a constraint (no second varchar_pattern_ops index on PostgreSQL).
    source_key = models.CharField(max_length=200)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        help_text="an order's earn: the amount its points were computed from",
    )  # fmt: skip
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reversals"
    )
    created_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "points entries"
        indexes = [
            models.Index(fields=["customer", "id"], name="points_entry_customer"),
            models.Index(fields=["order"], name="points_entry_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], name="points_entry_source_key"),
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="points_entry_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(written_off__gte=0), name="points_written_off_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} ({self.source_key})"


class PointsLot(models.Model):
    """What an earn (or a positive adjustment) left to spend, and until when."""

    entry = models.OneToOneField(
        PointsEntry, primary_key=True, on_delete=models.CASCADE, related_name="lot"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    points = models.IntegerField()
    remaining = models.IntegerField()
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "earned_at", "entry_id"]
        indexes = [
            models.Index(fields=["customer", "remaining"], name="points_lot_customer"),
            models.Index(fields=["expires_at"], name="points_lot_expiry",
                         condition=Q(remaining__gt=0)),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="points_lot_remaining_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining} of {self.points}"


class LotUse(models.Model):
    """``points`` an entry took from a lot (negative: gave back to it)."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="uses")
    lot = models.ForeignKey(PointsLot, on_delete=models.CASCADE, related_name="uses")
    points = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "lot"], name="lot_use_once")]

    def __str__(self) -> str:
        return f"{self.points} of lot {self.lot_id}"


class LoyaltyBalance(models.Model):
    """The customer's balance (the ledger's sum), ``debt`` (points spent that a reversal took
    back when no lot held them) and points earned net of reversals, all kept in the
    transaction of each entry; the row every write locks."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="loyalty"
    )
    balance = models.IntegerField(default=0)
    debt = models.IntegerField(default=0)
    earned = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(debt__gte=0), name="loyalty_debt_gte_0")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"
