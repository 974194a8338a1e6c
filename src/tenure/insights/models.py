"""Model fits and the per-customer predictions of the latest successful one."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Customer

FIT_RUN = "insights.fit"


class FitStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ModelFit(models.Model):
    """One fit of the customer-base models on the completed orders up to ``observation_end``.

    ``params`` holds, per model (``BetaGeo``, ``ModifiedBetaGeo``, ``ParetoNBD``,
    ``GammaGamma``), ``params`` and ``standard_errors`` by the papers' names, or ``error`` when
    that model could not be fitted (each model stands or fails alone; the fit fails only when
    no purchase model could be fitted), or for Gamma-Gamma at its boundary ``boundary`` (the
    words) and ``mean_spend`` (its limit, used for everyone). ``purchase_model`` is the model
    behind P(alive), expected purchases and CLV; ``backtest`` the time-split backtest that
    chose the churn ranking (``tenure.analytics.backtest.Backtest.as_dict``).

    A fit done by the worker (asked for from the page or the API, or the nightly chain's) has
    its ``tenure.jobs`` run: the claim, the heartbeat and the dead-run rule are the run's, and
    a run that ends without the fit ending it ends the fit too (``tasks.fit_follow``).
    """

    run = models.OneToOneField(
        "jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="fit"
    )
    status = models.CharField(max_length=10, choices=FitStatus.choices, default=FitStatus.QUEUED)
    error = models.TextField(blank=True, help_text="why the fit failed, in plain words")
    observation_end = models.DateField(
        null=True, blank=True, help_text="last day of orders seen (in the business's time zone)"
    )
    models_fitted = models.JSONField(default=list, blank=True)
    purchase_model = models.CharField(
        max_length=30, blank=True, help_text="the model behind P(alive), purchases and CLV"
    )
    backtest = models.JSONField(
        default=dict, blank=True, help_text="the backtest that chose the churn ranking"
    )
    params = models.JSONField(default=dict, blank=True)
    log_likelihood = models.JSONField(default=dict, blank=True, help_text="per model")
    horizon_days = models.PositiveIntegerField(default=365)
    discount_rate_annual = models.FloatField(default=0.10)
    margin = models.FloatField(default=1.0, help_text="1.0: CLV is revenue, not profit")
    customers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    fitted_at = models.DateTimeField(null=True, blank=True, help_text="when the fit ended")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-fitted_at"], name="model_fit_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FitStatus.values), name="model_fit_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"fit {self.pk} ({self.status}, orders to {self.observation_end})"


class CustomerPrediction(models.Model):
    """A customer's figures from the latest successful fit (one row per customer who bought).

    ``frequency``, ``recency`` and ``T`` are the RFM summary in days at the fit's observation
    end. ``churn_risk`` comes from the ranking the fit's backtest chose (1 - P(alive) of a model,
    or, for days since the last order, the share of customers as silent who did not order again
    within the backtest's holdout). ``value_if_stays_365`` is the expected spend over the next
    365 days if the customer stays (the purchase model's expected purchases of a customer alive
    now x the expected order value). ``predicted_clv_365`` is the discounted spend x purchases
    value of the next
    ``fit.horizon_days`` (365 unless a fit asked otherwise) times ``fit.margin``; with the default
    margin 1.0 it is revenue, not profit. ``historic_clv`` is what the customer paid: completed
    orders, a refunded order counting nothing. ``expected_next_order_at`` is the date by which
    the model gives even odds that the customer has ordered again (none when P(alive) <= 0.5).
    """

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="prediction")
    fit = models.ForeignKey(ModelFit, on_delete=models.PROTECT, related_name="predictions")
    frequency = models.PositiveIntegerField(help_text="repeat purchase days")
    recency = models.FloatField(help_text="days from the first to the last purchase")
    T = models.FloatField("age T", help_text="days from the first purchase to the observation end")
    p_alive = models.FloatField("P(alive)")
    churn_risk = models.FloatField(help_text="from the ranking the backtest chose, 0-1")
    expected_purchases_365 = models.FloatField()
    expected_average_spend = models.DecimalField(max_digits=14, decimal_places=2)
    predicted_clv_365 = models.DecimalField(max_digits=14, decimal_places=2)
    value_if_stays_365 = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        help_text="expected spend over the next 365 days if the customer stays",
    )  # fmt: skip
    historic_clv = models.DecimalField(max_digits=16, decimal_places=2)
    expected_next_order_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-predicted_clv_365", "customer_id"]
        indexes = [
            models.Index(fields=["-predicted_clv_365", "customer"], name="prediction_clv_top"),
            models.Index(fields=["-churn_risk", "customer"], name="prediction_churn_risk"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(p_alive__gte=0, p_alive__lte=1), name="prediction_p_alive_01"
            ),
            models.CheckConstraint(
                condition=Q(churn_risk__gte=0, churn_risk__lte=1), name="prediction_churn_risk_01"
            ),
            models.CheckConstraint(
                condition=Q(predicted_clv_365__gte=0), name="prediction_clv_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(historic_clv__gte=0), name="prediction_history_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"prediction for {self.customer_id}"

    @property
    def total_clv(self) -> Decimal:
        """What the customer paid plus what they are expected to pay over the horizon."""
        return self.historic_clv + self.predicted_clv_365

    @property
    def predicted_clv_if_alive(self) -> Decimal | None:
        """The prediction if the customer is still buying: BG/NBD's expected purchases are
        P(alive) x the purchases of a customer known to be alive, so the value splits the same
        way. None when P(alive) is 0 (nothing to divide by)."""
        if self.p_alive <= 0:
            return None
        value = self.predicted_clv_365 / Decimal(str(self.p_alive))
        return value.quantize(Decimal("0.01"))
