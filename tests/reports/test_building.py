"""The report's figures on the hand-worked account of ``acme.py`` (2025-Q3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.reports.building import Money, account_report
from tenure.reports.periods import report_period
from tests.reports.acme import NOW

pytestmark = pytest.mark.django_db


def _report(acme, period="2025-Q3"):
    return account_report(
        account=acme.account, period=report_period(period, today=NOW.date()), now=NOW
    )


def test_results_count_completed_orders_in_the_period_by_currency(acme):
    results = _report(acme).results
    assert results.orders == 3
    assert results.spend == [Money(Decimal("199.75"), "USD"), Money(Decimal("10.00"), "EUR")]
    assert results.orders_before == 2
    assert results.spend_before == [Money(Decimal("75.00"), "USD")]
    assert results.spend_change == Decimal("166.3")
    assert (results.refunded, results.cancelled) == (1, 1)
    assert (results.issues_opened, results.issues_resolved) == (2, 2)
    assert [g.title for g in results.goals_reached] == ["Cut onboarding time"]


def test_scores_are_the_periods_answers_with_their_interval(acme):
    scores = _report(acme).results.scores
    nps = scores["nps"].score
    assert (nps.n, nps.score) == (4, 25.0)
    assert (nps.positive, nps.neutral, nps.negative) == (2, 1, 1)
    assert nps.low is not None and nps.high is not None and nps.low < 25.0 < nps.high
    assert nps.few_answers
    assert scores["nps"].words.startswith("25 (95 % interval ")
    assert scores["nps"].words.endswith("4 answers): few answers, read with care")
    assert (scores["csat"].score.n, scores["csat"].score.score) == (2, 50.0)
    assert scores["ces"].words == "no answers"


def test_what_was_done_in_the_period(acme):
    done = _report(acme).done
    assert dict(done.interactions) == {"Call": 1, "Meeting": 1, "Complaint": 1, "Support ticket": 1}
    assert [(e.title, e.when) for e in done.meetings] == [("Quarterly kickoff", date(2025, 7, 10))]
    assert [(e.title, e.when, e.detail) for e in done.resolved] == [
        ("Wrong invoice", date(2025, 7, 5), "Credit note sent"),
        ("Login fails", date(2025, 9, 3), "Password reset"),
    ]
    assert done.tasks_done == 2
    assert [e.title for e in done.onboarding_steps] == ["Kickoff meeting"]
    assert [e.title for e in done.tasks] == ["Send the usage summary"]
    assert [(e.title, e.detail) for e in done.milestones] == [
        ("Kickoff done", "Launch the EU store")
    ]


def test_agency_metrics_are_summed_averaged_or_the_last_as_each_reads(acme):
    metrics = {m.metric: (m.value, m.months, m.how) for m in _report(acme).metrics}
    assert metrics == {
        "leads": (Decimal("300.00"), 3, "sum of 3 months"),
        "lifetime_value": (Decimal("1200.50"), 2, "the last month given (Sep 2025)"),
        "retention_rate": (Decimal("92.50"), 2, "mean of 2 months"),
        "custom:webinars": (Decimal("3.00"), 1, "sum of 1 month"),
    }


def test_the_next_periods_plan_comes_from_the_success_plan(acme):
    plan = _report(acme).plan
    assert plan is not None and plan.has_plan
    assert [(e.title, e.when, e.detail) for e in plan.goals] == [
        ("Launch the EU store", date(2025, 11, 15), "owner: Sam Reed")
    ]
    assert [e.title for e in plan.overdue_goals] == ["Renew the contract"]
    assert [(e.title, e.when) for e in plan.milestones] == [("EU pilot live", date(2025, 10, 20))]
    assert plan.next_review == date(2025, 10, 15)


def test_a_month_counts_its_own_days(acme):
    report = _report(acme, "2025-09")
    assert report.period.label == "2025-09" and report.previous.label == "2025-08"
    assert report.results.orders == 1  # Bob's order at 23:59 on 30 September
    assert report.results.spend == [Money(Decimal("79.25"), "USD")]
    assert report.results.spend_before == [Money(Decimal("10.00"), "EUR")]
    assert report.results.spend_change is None  # no USD in August: no change to give
    assert {m.metric: m.value for m in report.metrics} == {
        "leads": Decimal("80.00"), "lifetime_value": Decimal("1200.50"),
    }  # fmt: skip


def test_the_period_is_read_in_the_business_time_zone(acme, settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+2 in summer
    results = _report(acme).results
    # 30 Jun 23:59 UTC is 1 Jul in Paris (in Q3); 30 Sep 23:59 UTC is 1 Oct (out), and so is
    # 1 Oct 00:00 UTC; 120.50 + 50.00 USD.
    assert results.spend[0] == Money(Decimal("170.50"), "USD")


def test_without_a_period_the_last_complete_quarter(acme):
    assert report_period(None, today=date(2025, 10, 6)).label == "2025-Q3"
    assert report_period("", today=date(2025, 9, 30)).label == "2025-Q3"  # its last day: over
    assert report_period(None, today=date(2025, 9, 29)).label == "2025-Q2"


@pytest.mark.parametrize("text", ["2025", "2025-01-01..2025-02-15", "2025-13", "Q3", "x" * 500])
def test_a_period_that_is_not_a_month_or_a_quarter_is_refused_on_period(text):
    with pytest.raises(InvalidInputError) as refused:
        report_period(text, today=date(2025, 10, 6))
    assert refused.value.name == "period"
