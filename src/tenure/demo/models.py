"""What the demo generator knows and the data cannot show: who truly dropped out, and when."""

from __future__ import annotations

from django.db import models

from tenure.customers.models import Customer


class DemoTruth(models.Model):
    """The hidden buy-till-you-die parameters of one demo customer, kept for tests."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="demo_truth")
    purchases_per_year = models.FloatField()
    dropout_probability = models.FloatField()
    dropped_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"truth of {self.customer_id}"


class DemoLoad(models.Model):
    """One row per loaded demo business: loading again finds it and adds nothing."""

    seed = models.IntegerField(unique=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    customers = models.PositiveIntegerField()
    orders = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"demo (seed {self.seed})"
