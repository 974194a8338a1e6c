"""What customers bought."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from tenure.customers.models import Customer
from tenure.customers.validators import validate_currency


class OrderStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    """One purchase. ``amount`` is the order total in ``currency``; refunds keep the order with
    status ``refunded`` so that the history stays whole."""

    # Unique by a constraint, not unique=True, which would add PostgreSQL a varchar_pattern_ops
    # index on the id that no query uses and every imported order pays for.
    external_id = models.CharField(max_length=100)
    # No index of its own: order_customer_placed (customer, placed_at) serves every lookup by
    # customer, and each index costs the import a write per order.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    placed_at = models.DateTimeField()
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.COMPLETED
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
            models.Index(fields=["placed_at"], name="order_placed"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="order_external_id_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="order_external_id_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.external_id}"


class OrderLine(models.Model):
    """An optional line of an order: what was bought, how many, at what unit price."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_unit_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"
