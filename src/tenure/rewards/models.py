"""The rewards catalog and coupons (issue 17): ``Reward`` (what points buy: a coupon of a
template, or something non-monetary), ``RewardRedemption`` (one customer's purchase of a
reward, once per key, with its points entry and its coupon), ``Coupon`` (a code, upper-case
and unique, its terms and the count of its uses, the row every redemption locks) and
``CouponRedemption`` (one use against an order, once per key; released when the order is
voided). The rules are ``tenure.domain.coupons``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from tenure.customers.models import Customer
from tenure.loyalty.models import PointsEntry
from tenure.orders.models import Order


class CouponKinds(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Amount off"
    FREE_SHIPPING = "free_shipping", "Free shipping"


class RewardKind(models.TextChoices):
    COUPON = "coupon", "A coupon"
    OTHER = "other", "Something else (handed over by the team)"


class Reward(models.Model):
    """An entry of the catalog: ``points_cost`` buys it; ``stock`` None is unlimited. A
    coupon reward issues a coupon of its template (kind, value, minimum order, days valid),
    tied to the customer, single use."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    points_cost = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    stock = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=RewardKind.choices, default=RewardKind.COUPON)
    coupon_kind = models.CharField(max_length=16, choices=CouponKinds.choices, blank=True)
    coupon_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    coupon_min_order = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    coupon_valid_days = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["points_cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gte=1), name="reward_cost_gte_1"),
            models.CheckConstraint(
                condition=Q(kind="other") | (~Q(coupon_kind="") & Q(coupon_value__isnull=False)),
                name="reward_coupon_has_template",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """A code and its terms. ``uses`` counts the redemptions not released, kept in the
    transaction of each; ``uses <= max_uses`` holds in the database too."""

    code = models.CharField(max_length=40, help_text="kept upper-case; unique")
    kind = models.CharField(max_length=16, choices=CouponKinds.choices)
    value = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="percent or amount off"
    )
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    min_order = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="empty: no limit")
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons",
        help_text="only this customer may use it",
    )  # fmt: skip
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="coupon_code_unique"),
            models.CheckConstraint(condition=Q(code=Upper("code")),
                                   name="coupon_code_upper"),
            models.CheckConstraint(condition=Q(value__gte=0), name="coupon_value_gte_0"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__gt=0, value__lte=100),
                name="coupon_percent_in_range",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")),
                name="coupon_uses_lte_max",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.code

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.uses)


class CouponRedemption(models.Model):
    """One use of a coupon against an order (or an amount at a till), once per ``key``.
    ``released_at``: the order was voided (refunded, cancelled, deleted) or the shop released
    it; the use no longer counts. ``order`` is kept as an id when the order is deleted (the
    trash restores it with the same id)."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    order_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_cause = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["coupon", "customer"], name="coupon_redemption_customer"),
            models.Index(fields=["order"], name="coupon_redemption_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="coupon_redemption_key"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=F("order_amount")),
                name="coupon_discount_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id}: {self.discount} off"


class RewardRedemption(models.Model):
    """A customer's purchase of a reward with points, once per ``key``: the points entry
    (``tenure.loyalty``) and the coupon issued, written in one transaction. Cancelled: the
    points restored to their lots and the coupon voided (refused when the coupon was used)."""

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    points = models.PositiveIntegerField()
    points_entry = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="+")
    coupon = models.OneToOneField(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="reward_redemption"
    )
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="reward_redemption_key")]

    def __str__(self) -> str:
        return f"{self.reward_id} for {self.customer_id}"
