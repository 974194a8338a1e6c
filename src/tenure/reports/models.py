"""The agency metrics an account's results report shows beside what tenure counts itself.

An agency imports, per account and calendar month, the figures its customer cares about that
tenure does not hold (leads, MQLs, SQLs, lifetime value, retention). ``month`` is the month's
first day; (account, metric, month) is unique, so an import sent twice changes nothing and a
corrected file changes the value in place (with its history, by auditlog).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenure.customers.models import Account

# The metrics the report knows by name; any other is ``custom:<name>`` (summed, shown as named).
KNOWN_METRICS: dict[str, str] = {
    "leads": "Leads",
    "mqls": "Marketing-qualified leads (MQLs)",
    "sqls": "Sales-qualified leads (SQLs)",
    "lifetime_value": "Lifetime value",
    "retention_rate": "Retention rate (%)",
}
CUSTOM_PREFIX = "custom:"


class AccountMetric(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="metrics")
    metric = models.CharField(max_length=100)
    month = models.DateField(help_text="the month's first day")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account", "month", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "month"], name="account_metric_once_a_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%Y-%m}: {self.value}"

    @property
    def label(self) -> str:
        return metric_label(self.metric)


def metric_label(metric: str) -> str:
    if metric in KNOWN_METRICS:
        return KNOWN_METRICS[metric]
    return metric.removeprefix(CUSTOM_PREFIX)
