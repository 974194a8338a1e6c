"""An account's results report: the page (``?period=2025-Q3`` or ``2025-07``; without one, the
last complete quarter) with its period picker, and the same report as a PDF download. Every
role reads the reports of the accounts it sees (a success manager their book's; another's is
404); a period it cannot read is a 400 with the reason on the form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import complete_periods
from tenure.reports.periods import ReportPeriod
from tenure.reports.rendering import report_pdf
from tenure.reports.selectors import account_report_for, report_account
from tenure.web.views._render import signed_in_user


def _choices(today: Any) -> list[str]:
    """The last four quarters and six months, newest first, offered by the picker."""
    quarters = [ReportPeriod("quarter", s, e) for s, e in complete_periods("quarter", 4, today)]
    months = [ReportPeriod("month", s, e) for s, e in complete_periods("month", 6, today)]
    return [p.label for p in reversed(quarters)] + [p.label for p in reversed(months)]


@login_required
@require_GET
def account_report_page(request: HttpRequest, account_id: int) -> HttpResponse:
    user = signed_in_user(request)
    account = report_account(user=user, account_id=account_id)  # 404 outside the book
    now = timezone.now()
    chosen = request.GET.get("period", "").strip()[:40]
    context: dict[str, Any] = {
        "account": account, "chosen": chosen, "choices": _choices(timezone.localdate(now)),
        "section": "accounts",
    }  # fmt: skip
    try:
        report = account_report_for(user=user, account_id=account.pk, period=chosen, now=now)
    except InvalidInputError as error:
        context["error"] = f"Period: {error.reason}."
        return render(request, "reports/page.html", context, status=400)
    context |= {"report": report, "chosen": chosen or report.period.label}
    return render(request, "reports/page.html", context)


@login_required
@require_GET
def account_report_pdf(request: HttpRequest, account_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        report = account_report_for(
            user=user, account_id=account_id, period=request.GET.get("period"), now=timezone.now()
        )
    except InvalidInputError as error:
        return HttpResponse(
            f"period: {error.reason}", status=400, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    name = f"{slugify(report.account_name) or 'account'}-{report.period.label}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
