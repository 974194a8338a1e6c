"""The playbook step "Email the results report": the enrolled customer's account's report for
the last complete month or quarter, emailed to the account's people (``sending.report_send``,
once per account, period and person, however many of its customers enrol). Registered from
this app's ``ready()``: the reports app sits above the playbooks in the layers."""

from __future__ import annotations

from django.utils import timezone

from tenure.analytics.periods import complete_periods
from tenure.customers.models import Customer
from tenure.domain.playbook_steps import Param, StepKind
from tenure.playbooks.steps import Outcome, StepContext, step_register
from tenure.reports.periods import ReportKind, ReportPeriod
from tenure.reports.sending import report_send

RESULTS_REPORT = StepKind(
    "results_report",
    "Email the results report",
    {"period": Param("choice", choices=("quarter", "month"), default="quarter")},
    "Email the customer's account its results report for the last complete quarter (or "
    "month) to its people who may be mailed, once per account, period and person.",
    needs="the reports app",
)


def _results_report(ctx: StepContext) -> Outcome:
    customer = Customer.objects.filter(pk=ctx.enrollment.customer_id).first()
    if customer is None or customer.account_id is None:
        return Outcome("skipped", "the customer belongs to no account")
    kind: ReportKind = "month" if ctx.step.params.get("period") == "month" else "quarter"
    start, end = complete_periods(kind, 1, timezone.localdate(ctx.now))[-1]
    period = ReportPeriod(kind, start, end)
    result = report_send(by=None, account_id=customer.account_id, period=period, now=ctx.now)
    return Outcome("done", f"{period.label}: {result.words()}"[:400])


def report_step_register() -> None:
    step_register(RESULTS_REPORT, _results_report)
