"""Reading results reports and agency metrics within the reader's scope: through the account
(a success manager their book's, 404 for another's; analysts, managers and admins every one)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from tenure.access import get_visible_or_404, visible
from tenure.customers.models import Account
from tenure.reports.building import AccountReport, account_report
from tenure.reports.models import AccountMetric
from tenure.reports.periods import report_period
from tenure.users.models import User


def account_metrics_visible(user: User | None) -> QuerySet[AccountMetric]:
    metrics = AccountMetric.objects.all()
    if user is not None:
        metrics = metrics.filter(account__in=visible(user, Account).values("pk"))
    return metrics.order_by("pk")


def report_account(*, user: User | None, account_id: int) -> Account:
    """The account if ``user`` may see it (Http404 otherwise; ``None``: the operator)."""
    if user is None:
        return Account.objects.get(pk=account_id)
    return get_visible_or_404(user, Account, pk=account_id)


def account_report_for(
    *, user: User | None, account_id: int, period: str | None, now: datetime
) -> AccountReport:
    """The account's report for ``period`` ("2025-Q3", "2025-07"; default: the last complete
    quarter). Http404 outside the user's book, ``InvalidInputError`` on ``period``."""
    account = report_account(user=user, account_id=account_id)
    chosen = report_period(period, today=timezone.localdate(now))
    return account_report(account=account, period=chosen, now=now)
