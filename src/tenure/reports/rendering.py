"""The report as HTML, plain text and PDF, from the one ``AccountReport``.

The templates are the web app's (``web/templates/reports/``, found by Django's loader by name)
so the page, the PDF and the email show the same document. The PDF is WeasyPrint's (HTML and
CSS to PDF in Python over Pango: the print stylesheet is the page's static ``report.css``, so
no second layout is kept); it is imported when a PDF is asked for, not at start-up.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from tenure.reports.building import AccountReport, Money

STYLESHEET = "reports/report.css"


def report_html(report: AccountReport) -> str:
    """The report's document (an ``<article>``), for a page or an email's body."""
    return render_to_string("reports/document.html", {"report": report})


def report_print_html(report: AccountReport) -> str:
    """A whole HTML document of the report, as printed to PDF."""
    return render_to_string("reports/print.html", {"report": report})


def report_pdf(report: AccountReport) -> bytes:
    from weasyprint import CSS, HTML

    found = finders.find(STYLESHEET)
    sheets = [CSS(filename=str(found))] if isinstance(found, str) else []
    pdf = HTML(string=report_print_html(report)).write_pdf(stylesheets=sheets)
    assert pdf is not None  # no target given: WeasyPrint returns the bytes
    return bytes(pdf)


def _money(values: list[Money], currency: str) -> str:
    if not values:
        return f"0.00 {currency}"
    return ", ".join(f"{m.amount:,.2f} {m.currency}" for m in values)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:,.2f}"


def report_text(report: AccountReport) -> str:
    """The report in plain text (an email's text part)."""
    r, res = report, report.results
    lines = [
        f"{r.account_name}: results report, {r.period.words}",
        f"({r.period.start:%d %b %Y} to {r.period.end:%d %b %Y}, against {r.previous.words})",
        "",
        "RESULTS",
        f"Orders: {res.orders} (before: {res.orders_before})",
        f"Spend: {_money(res.spend, r.currency)} (before: {_money(res.spend_before, r.currency)})"
        + (f", {res.spend_change:+} %" if res.spend_change is not None else ""),
        f"Issues opened: {res.issues_opened}; resolved: {res.issues_resolved}",
        f"NPS: {res.scores['nps'].words}",
        f"CSAT: {res.scores['csat'].words}",
        f"Goals reached: {len(res.goals_reached)}",
        *[f"  - {g.title}" for g in res.goals_reached],
    ]
    if r.metrics:
        lines += ["", "YOUR MARKETING FIGURES"]
        lines += [f"{m.label}: {_number(m.value)} ({m.how})" for m in r.metrics]
    lines += ["", "WHAT WE DID"]
    lines += [f"{n} x {label.lower()}" for label, n in r.done.interactions] or ["(nothing logged)"]
    lines += [f"Meeting {e.when:%d %b}: {e.title}" for e in r.done.meetings if e.when]
    lines += [f"Resolved {e.when:%d %b}: {e.title}" for e in r.done.resolved if e.when]
    lines += [f"Tasks completed: {r.done.tasks_done}"]
    plan = r.plan
    lines += ["", f"THE PLAN FOR {r.next.words.upper()}"]
    if plan is None or not plan.has_plan:
        lines.append("No success plan yet.")
    else:
        lines += [f"Goal: {e.title}, by {e.when:%d %b %Y}" for e in plan.goals if e.when]
        lines += [f"Milestone: {e.title}, {e.when:%d %b %Y}" for e in plan.milestones if e.when]
        review = f"{plan.next_review:%d %b %Y}" if plan.next_review else "not set yet"
        lines.append(f"Next review: {review}")
    return "\n".join(lines) + "\n"
