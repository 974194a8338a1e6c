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


class TierBasis(models.TextChoices):
    POINTS = "points", "Points earned (net of reversals)"
    SPEND = "spend", "Spend (completed orders, net of refunds)"


class TierPeriod(models.TextChoices):
    LIFETIME = "lifetime", "Lifetime (never lowered)"
    CALENDAR_YEAR = "calendar_year", "Calendar year (kept through the next year)"
    ROLLING = "rolling", "Rolling window of days"


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
    max_points_per_order = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10_000_000)],
        help_text="the most points one order earns, the tier's multiplier included (empty: no "
        "cap)",
    )  # fmt: skip
    refund_window_days = models.PositiveIntegerField(
        default=30, validators=[MaxValueValidator(3650)],
        help_text="days an order may still be refunded (for referral rewards, later)",
    )  # fmt: skip
    tier_basis = models.CharField(
        max_length=10, choices=TierBasis.choices, default=TierBasis.POINTS,
        help_text="what qualifies for a tier (never the balance)",
    )  # fmt: skip
    tier_period = models.CharField(
        max_length=20, choices=TierPeriod.choices, default=TierPeriod.CALENDAR_YEAR
    )
    tier_window_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="the rolling window's days",
    )  # fmt: skip
    point_value = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000000"))],
        help_text="what one point is worth in the currency, for the liability (empty: not set)",
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
    multiplier = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("1"), db_default=Decimal("1"),
        help_text="an earn: the customer's tier multiplier applied to it",
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


class LoyaltyTier(models.Model):
    """A tier the business defines: reached at ``threshold`` (points or currency, as the
    program's ``tier_basis`` says), its ``multiplier`` on an order's earn, and its benefits
    (data: a list of ``{"name", "description"}``). ``rank`` 1 is the lowest. History tracked."""

    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField()
    threshold = models.DecimalField(max_digits=14, decimal_places=2)
    multiplier = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("1"))
    benefits = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank"]
        # Rank and name are unique by ``tiers_update`` (the whole list at once, under the
        # program's lock), not by constraints: reordering would pass through duplicates.
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gt=0), name="loyalty_tier_threshold_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gte=1) & Q(multiplier__lte=10),
                name="loyalty_tier_multiplier_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.Model):
    """The tier a customer holds (None: below every tier), since when, the start of the
    period it was last set or reviewed in (``reviewed_from``: a review, which may lower it,
    comes once per period), when it may drop next, and how many changes it had (the next
    change's number: the history's and the event's key). Locked by every evaluation."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="loyalty_tier"
    )
    tier = models.ForeignKey(
        LoyaltyTier, null=True, blank=True, on_delete=models.PROTECT, related_name="holders"
    )
    since = models.DateTimeField(null=True, blank=True)
    reviewed_from = models.DateTimeField(null=True, blank=True)
    may_drop_at = models.DateTimeField(null=True, blank=True)
    qualifying = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    changes = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tier", "reviewed_from"], name="customer_tier_review")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier_id}"


class TierChange(models.Model):
    """One change of a customer's tier, never edited: from, to (their names kept, should a
    tier be renamed), up or down, the reason in words, the moment; ``seq`` is the customer's
    change number (unique: an evaluation redone writes no second row)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="tier_changes", db_index=False
    )
    seq = models.PositiveIntegerField()
    from_tier = models.ForeignKey(
        LoyaltyTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(
        LoyaltyTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_name = models.CharField(max_length=60, blank=True)
    to_name = models.CharField(max_length=60, blank=True)
    direction = models.CharField(max_length=4, choices=[("up", "Up"), ("down", "Down")])
    reason = models.CharField(max_length=300)
    qualifying = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "seq"], name="tier_change_once"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_name or '-'} -> {self.to_name or '-'}"


class ChallengeKind(models.TextChoices):
    ORDERS_COUNT = "orders_count", "Orders within a window of days"
    SPEND = "spend", "Spend within a window of days"
    NEW_PRODUCT_LINE = "new_product_line", "Try a new product line"


class Challenge(models.Model):
    """A challenge the business defines (``tenure.domain.challenges``): its kind and
    parameters as columns, the bonus its completion earns (once per customer: a challenge is
    not repeatable), the time it runs (``starts_at`` none: from its creation). Written by
    ``tenure.loyalty.challenges`` only; history tracked."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=1000, blank=True, help_text="shown to customers")
    kind = models.CharField(max_length=20, choices=ChallengeKind.choices)
    target_count = models.PositiveIntegerField(null=True, blank=True)
    target_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    window_days = models.PositiveIntegerField(null=True, blank=True)
    min_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    sku_prefix = models.CharField(max_length=100, blank=True)
    bonus_points = models.PositiveIntegerField()
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ChallengeKind.values), name="challenge_kind_valid"
            ),
            models.CheckConstraint(condition=Q(bonus_points__gt=0), name="challenge_bonus_gt_0"),
            models.CheckConstraint(
                condition=~Q(kind=ChallengeKind.ORDERS_COUNT)
                | Q(target_count__gte=1, target_count__lte=1000),
                name="challenge_orders_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ChallengeKind.SPEND) | Q(target_amount__gt=0),
                name="challenge_spend_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ChallengeKind.NEW_PRODUCT_LINE) | ~Q(sku_prefix=""),
                name="challenge_line_prefix",
            ),
            models.CheckConstraint(
                condition=Q(window_days__isnull=True)
                | Q(window_days__gte=1, window_days__lte=3650),
                name="challenge_window_range",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0),
                name="challenge_min_amount_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="challenge_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChallengeProgress(models.Model):
    """A customer's progress on a challenge as last evaluated (orders counted or amount
    spent, of ``target``), when they completed it and the ledger entry that awarded the
    bonus; once completed, never changed (the bonus is kept). Locked by every evaluation."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="challenge_progress", db_index=False
    )
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="progress")
    progress = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    target = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    window_end = models.DateTimeField(null=True, blank=True)
    eligible = models.BooleanField(default=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    entry = models.ForeignKey(
        PointsEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "challenge progress"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "challenge"], name="challenge_progress_once"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=F("target")),
                name="challenge_progress_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.challenge_id}: {self.progress} of {self.target}"
