"""/api/v1/accounts/{id}/report (the results report as JSON, or as PDF at ``report.pdf``) and
/api/v1/account-metrics (the agency metrics: a batch upserted, a list with filters).

Every role reads the reports of the accounts it sees (a success manager their book's, 404 for
another's); only admins and managers import metrics. Money and metric values are decimal
strings. A batch of metrics is stored whole or refused whole, each problem on
``rows[<index>].<field>``; a retried POST with its ``Idempotency-Key`` is answered from the
first, and a batch sent again without one changes nothing (the rows are upserted on account,
metric and month).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Field, Query, Router, Schema

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.reports.building import AccountReport, Entry, Score
from tenure.reports.filters import AccountMetricFilterSet
from tenure.reports.rendering import report_pdf
from tenure.reports.selectors import account_report_for
from tenure.reports.services import BATCH_MAX, account_metrics_upsert

router = Router(tags=["reports"])

PDF_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The results report as a PDF (A4)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class MoneyOut(Schema):
    amount: Money
    currency: str


class ReportEntryOut(Schema):
    title: str
    when: date | None
    detail: str


class ReportScoreOut(Schema):
    kind: str
    n: int
    score: float | None
    low: float | None
    high: float | None
    few_answers: bool
    words: str


class DoneOut(Schema):
    interactions: dict[str, int]
    meetings: list[ReportEntryOut]
    resolved: list[ReportEntryOut]
    tasks_done: int
    tasks: list[ReportEntryOut]
    onboarding_steps: list[ReportEntryOut]
    milestones: list[ReportEntryOut]


class ReportResultsOut(Schema):
    orders: int
    orders_before: int
    spend: list[MoneyOut]
    spend_before: list[MoneyOut]
    spend_change_percent: float | None
    refunded: int
    cancelled: int
    issues_opened: int
    issues_resolved: int
    scores: dict[str, ReportScoreOut]
    goals_reached: list[ReportEntryOut]


class MetricOut(Schema):
    metric: str
    label: str
    value: Money
    months: int
    how: str


class ReportPlanOut(Schema):
    has_plan: bool
    goals: list[ReportEntryOut]
    overdue_goals: list[ReportEntryOut]
    milestones: list[ReportEntryOut]
    next_review: date | None


class ReportOut(Schema):
    account_id: int
    account_name: str
    period: str
    period_start: date
    period_end: date
    previous_period: str
    next_period: str
    currency: str
    generated_at: datetime
    done: DoneOut
    results: ReportResultsOut
    metrics: list[MetricOut]
    plan: ReportPlanOut | None


def _entries(entries: list[Entry]) -> list[dict[str, Any]]:
    return [{"title": e.title, "when": e.when, "detail": e.detail} for e in entries]


def _score(score: Score) -> dict[str, Any]:
    s = score.score
    return {"kind": s.kind, "n": s.n, "score": s.score, "low": s.low, "high": s.high,
            "few_answers": s.few_answers, "words": score.words}  # fmt: skip


def report_json(report: AccountReport) -> dict[str, Any]:
    done, res, plan = report.done, report.results, report.plan
    return {
        "account_id": report.account_id, "account_name": report.account_name,
        "period": report.period.label, "period_start": report.period.start,
        "period_end": report.period.end, "previous_period": report.previous.label,
        "next_period": report.next.label, "currency": report.currency,
        "generated_at": report.generated_at,
        "done": {
            "interactions": dict(done.interactions), "meetings": _entries(done.meetings),
            "resolved": _entries(done.resolved), "tasks_done": done.tasks_done,
            "tasks": _entries(done.tasks), "onboarding_steps": _entries(done.onboarding_steps),
            "milestones": _entries(done.milestones),
        },
        "results": {
            "orders": res.orders, "orders_before": res.orders_before,
            "spend": [vars(m) for m in res.spend],
            "spend_before": [vars(m) for m in res.spend_before],
            "spend_change_percent": (
                float(res.spend_change) if res.spend_change is not None else None
            ),
            "refunded": res.refunded, "cancelled": res.cancelled,
            "issues_opened": res.issues_opened, "issues_resolved": res.issues_resolved,
            "scores": {kind: _score(s) for kind, s in res.scores.items()},
            "goals_reached": _entries(res.goals_reached),
        },
        "metrics": [vars(m) for m in report.metrics],
        "plan": None if plan is None else {
            "has_plan": plan.has_plan, "goals": _entries(plan.goals),
            "overdue_goals": _entries(plan.overdue_goals),
            "milestones": _entries(plan.milestones), "next_review": plan.next_review,
        },
    }  # fmt: skip


class ReportQuery(QueryInput):
    period: str | None = Field(
        None, max_length=40, description='"2025-Q3" or "2025-07"; default: the last whole quarter'
    )


@router.get(
    "/accounts/{account_id}/report",
    response={200: ReportOut, **ERROR_RESPONSES},
    summary="An account's results report for a month or a quarter",
    operation_id="get_account_report",
)
def get_account_report(
    request: HttpRequest, account_id: RecordId, query: Query[ReportQuery]
) -> dict[str, Any]:
    report = account_report_for(
        user=caller(request), account_id=account_id, period=query.period, now=timezone.now()
    )
    return report_json(report)


@router.get(
    "/accounts/{account_id}/report.pdf",
    response={**ERROR_RESPONSES},
    summary="An account's results report as a PDF",
    operation_id="get_account_report_pdf",
    openapi_extra=PDF_RESPONSE,
)
def get_account_report_pdf(
    request: HttpRequest, account_id: RecordId, query: Query[ReportQuery]
) -> HttpResponse:
    report = account_report_for(
        user=caller(request), account_id=account_id, period=query.period, now=timezone.now()
    )
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    name = f"{slugify(report.account_name) or 'account'}-{report.period.label}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- agency metrics ----------------------------------------------------------------------------


class MetricRowIn(Input):
    account: str | int = Field(description="the account's id or exact name")
    metric: str = Field(
        max_length=100,
        description="leads, mqls, sqls, lifetime_value, retention_rate or custom:<name>",
    )
    month: str = Field(max_length=10, description="the month, 2025-07")
    value: str | int | float = Field(description="a number (a decimal string keeps its digits)")


class MetricBatchIn(Input):
    rows: list[MetricRowIn] = Field(max_length=BATCH_MAX)


class MetricBatchOut(Schema):
    created: int
    updated: int
    unchanged: int


class AccountMetricOut(Schema):
    id: int
    account_id: int
    metric: str
    month: date
    value: str
    updated_at: datetime


class AccountMetricFilters(QueryInput):
    account_id: RecordId | None = None
    metric: str | None = Field(None, max_length=100)
    month_from: date | None = Field(None, description="months from this one (its first day)")
    month_to: date | None = Field(None, description="months up to this one")


@router.post(
    "/account-metrics",
    response={200: MetricBatchOut, **ERROR_RESPONSES},
    summary="Import a batch of agency metrics (upserted on account, metric and month)",
    operation_id="import_account_metrics",
)
def import_account_metrics(request: HttpRequest, payload: MetricBatchIn) -> dict[str, int]:
    rows = [row.dict() for row in payload.rows]
    result = account_metrics_upsert(by=caller(request), rows=rows, now=timezone.now())
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.get(
    "/account-metrics",
    response={200: Page[AccountMetricOut], **ERROR_RESPONSES},
    summary="List agency metrics",
    operation_id="list_account_metrics",
)
def list_account_metrics(
    request: HttpRequest,
    filters: Query[AccountMetricFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = AccountMetricFilterSet.of(caller(request), filter_values(filters))
    page = paginate(chosen.filtered(), cursor=cursor, limit=limit)
    page["items"] = [
        {"id": m.pk, "account_id": m.account_id, "metric": m.metric, "month": m.month,
         "value": f"{m.value.normalize():f}", "updated_at": m.updated_at}
        for m in page["items"]
    ]  # fmt: skip
    return page
