"""The results report of an account as data: what was done in the period, the results that
matter to the customer, the agency metrics imported for it and the next period's plan.

Every figure is computed here and handed to the templates as it is shown (the HTML page, the
PDF, the email and the API all read this one object). Moments are read in the business's time
zone: a period is its first day's midnight to the midnight after its last day. Orders count as
revenue as the rest of tenure counts them: completed orders only; refunded and cancelled ones
of the period are counted beside, not in the spend. Survey scores use
``tenure.analytics.feedback`` (NPS, CSAT, CES with their 95 % interval). Agency metrics are
summed over the period's months (counts, custom metrics), except the lifetime value (the last
month's: a level, not a flow) and the retention rate (the mean of the months given).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from tenure.analytics.feedback import SurveyScore, survey_score
from tenure.customers.models import Account
from tenure.feedback.models import SurveyResponse
from tenure.insights.reading import day_start
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind
from tenure.orders.models import Order, OrderStatus
from tenure.reports.models import AccountMetric, metric_label
from tenure.reports.periods import ReportPeriod
from tenure.success.models import Goal, GoalStatus, Milestone, SuccessPlan
from tenure.todos.models import Task, TaskStatus

ISSUES = (InteractionKind.COMPLAINT, InteractionKind.TICKET)
CENT = Decimal("0.01")
LISTED = 20  # notable entries listed per section (the counts are whole)


@dataclass(frozen=True)
class Entry:
    """One line of a list: a title, when, and a detail in words."""

    title: str
    when: date | None
    detail: str = ""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Score:
    score: SurveyScore

    @property
    def words(self) -> str:
        s = self.score
        if s.n == 0:
            return "no answers"
        text = f"{s.score:.0f} (95 % interval {s.low:.0f} to {s.high:.0f}; {s.n} answers)"
        return text + (": few answers, read with care" if s.few_answers else "")


@dataclass(frozen=True)
class Done:
    interactions: list[tuple[str, int]]  # (kind in words, count), kinds with any
    meetings: list[Entry]
    resolved: list[Entry]  # complaints and tickets resolved in the period
    tasks_done: int
    tasks: list[Entry]
    onboarding_steps: list[Entry]
    milestones: list[Entry]


@dataclass(frozen=True)
class Results:
    orders: int
    orders_before: int
    spend: list[Money]  # completed orders by currency, the business's currency first
    spend_before: list[Money]
    spend_change: Decimal | None  # percent, in the business's currency; None without before
    refunded: int
    cancelled: int
    issues_opened: int
    issues_resolved: int
    scores: dict[str, Score]  # nps, csat, ces
    goals_reached: list[Entry]


@dataclass(frozen=True)
class Metric:
    metric: str
    label: str
    value: Decimal
    months: int
    how: str  # "sum of 3 months", "mean of 2 months", "last month given"


@dataclass(frozen=True)
class Plan:
    goals: list[Entry]  # open goals with a target date in the next period
    overdue_goals: list[Entry]  # open goals whose target date passed before it
    milestones: list[Entry]  # milestones due in the next period, not done
    next_review: date | None
    has_plan: bool


@dataclass(frozen=True)
class AccountReport:
    account_id: int
    account_name: str
    period: ReportPeriod
    previous: ReportPeriod
    next: ReportPeriod
    currency: str
    generated_at: datetime
    done: Done
    results: Results
    metrics: list[Metric] = field(default_factory=list)
    plan: Plan | None = None


def _window(period: ReportPeriod) -> tuple[datetime, datetime]:
    return day_start(period.start), day_start(period.end + timedelta(days=1))


def _in(name: str, period: ReportPeriod) -> Q:
    start, end = _window(period)
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def _orders(account: Account) -> QuerySet[Order]:
    return Order.objects.filter(customer__account=account).order_by()


def _spend(account: Account, period: ReportPeriod) -> tuple[int, list[Money]]:
    completed = _orders(account).filter(_in("placed_at", period), status=OrderStatus.COMPLETED)
    rows = completed.values("currency").annotate(total=Sum("amount"), n=Count("pk"))
    first = settings.TENURE_CURRENCY
    spend = sorted(
        (Money(Decimal(r["total"] or 0).quantize(CENT), r["currency"]) for r in rows),
        key=lambda m: (m.currency != first, m.currency),
    )
    return sum(r["n"] for r in rows), spend


def _change(now: list[Money], before: list[Money], currency: str) -> Decimal | None:
    was = next((m.amount for m in before if m.currency == currency), Decimal(0))
    is_ = next((m.amount for m in now if m.currency == currency), Decimal(0))
    if was == 0:
        return None
    return ((is_ - was) / was * 100).quantize(Decimal("0.1"))


def _interactions(account: Account) -> QuerySet[Interaction]:
    return Interaction.objects.filter(Q(account=account) | Q(customer__account=account))


def _done(account: Account, period: ReportPeriod) -> Done:
    happened = _interactions(account).filter(_in("occurred_at", period))
    counts = dict(happened.order_by().values_list("kind").annotate(n=Count("pk")))
    kinds = [(label, counts[k]) for k, label in InteractionKind.choices if counts.get(k)]
    meetings = [
        Entry(i.subject or "Meeting", i.occurred_at.date())
        for i in happened.filter(kind=InteractionKind.MEETING).order_by("occurred_at")[:LISTED]
    ]
    resolved = [
        Entry(i.subject or i.get_kind_display(), i.resolved_at.date() if i.resolved_at else None,
              i.resolution[:200])
        for i in _interactions(account)
        .filter(_in("resolved_at", period), kind__in=ISSUES, status=CaseStatus.RESOLVED)
        .order_by("resolved_at")[:LISTED]
    ]  # fmt: skip
    tasks = Task.objects.filter(
        Q(account=account) | Q(customer__account=account),
        _in("completed_at", period), status=TaskStatus.DONE,
    ).order_by("completed_at")  # fmt: skip
    onboarding = [
        Entry(t.title, t.completed_at.date() if t.completed_at else None)
        for t in tasks.filter(rule="onboarding")[:LISTED]
    ]
    others = [
        Entry(t.title, t.completed_at.date() if t.completed_at else None)
        for t in tasks.exclude(rule="onboarding")[:LISTED]
    ]
    milestones = [
        Entry(m.title, m.done_at.date() if m.done_at else None, m.goal.title)
        for m in Milestone.objects.filter(goal__plan__account=account)
        .filter(_in("done_at", period))
        .select_related("goal")
        .order_by("done_at")[:LISTED]
    ]
    return Done(kinds, meetings, resolved, tasks.count(), others, onboarding, milestones)


def _scores(account: Account, period: ReportPeriod) -> dict[str, Score]:
    answers: dict[str, list[int]] = defaultdict(list)
    for kind, score in (
        SurveyResponse.objects.filter(customer__account=account)
        .filter(_in("answered_at", period))
        .values_list("kind", "score")
    ):
        answers[kind].append(score)
    return {kind: Score(survey_score(kind, answers[kind])) for kind in ("nps", "csat", "ces")}


def _results(account: Account, period: ReportPeriod, currency: str) -> Results:
    orders, spend = _spend(account, period)
    orders_before, spend_before = _spend(account, period.before())
    statuses = dict(
        _orders(account).filter(_in("placed_at", period)).values_list("status")
        .annotate(n=Count("pk"))
    )  # fmt: skip
    issues = _interactions(account).filter(kind__in=ISSUES)
    goals = [
        Entry(g.title, g.achieved_at.date() if g.achieved_at else None)
        for g in Goal.objects.filter(plan__account=account, status=GoalStatus.ACHIEVED)
        .filter(_in("achieved_at", period))
        .order_by("achieved_at")
    ]
    return Results(
        orders=orders, orders_before=orders_before, spend=spend, spend_before=spend_before,
        spend_change=_change(spend, spend_before, currency),
        refunded=statuses.get(OrderStatus.REFUNDED, 0),
        cancelled=statuses.get(OrderStatus.CANCELLED, 0),
        issues_opened=issues.filter(_in("occurred_at", period)).count(),
        issues_resolved=issues.filter(_in("resolved_at", period), status=CaseStatus.RESOLVED)
        .count(),
        scores=_scores(account, period), goals_reached=goals,
    )  # fmt: skip


def _metrics(account: Account, period: ReportPeriod) -> list[Metric]:
    found: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for metric, month, value in AccountMetric.objects.filter(
        account=account, month__gte=period.start, month__lte=period.end
    ).values_list("metric", "month", "value"):
        found[metric].append((month, Decimal(value)))
    shown = []
    for metric in sorted(found, key=lambda m: (m.startswith("custom:"), m)):
        months = sorted(found[metric])
        n = len(months)
        if metric == "lifetime_value":
            value, how = months[-1][1], f"the last month given ({months[-1][0]:%b %Y})"
        elif metric == "retention_rate":
            value = sum((v for _, v in months), Decimal(0)) / n
            how = f"mean of {n} month{'s' if n != 1 else ''}"
        else:
            value, how = (
                sum((v for _, v in months), Decimal(0)),
                f"sum of {n} month" + ("s" if n != 1 else ""),
            )
        shown.append(Metric(metric, metric_label(metric), value.quantize(CENT), n, how))
    return shown


def _plan(account: Account, period: ReportPeriod) -> Plan:
    upcoming = period.after()
    plan = SuccessPlan.objects.filter(account=account).first()
    if plan is None:
        return Plan([], [], [], None, has_plan=False)
    open_goals = Goal.objects.filter(plan=plan, status=GoalStatus.OPEN).select_related("owner")

    def goal_entry(goal: Goal) -> Entry:
        owner = goal.owner.get_full_name() or goal.owner.get_username()
        return Entry(goal.title, goal.target_date, f"owner: {owner}")

    goals = [
        goal_entry(g)
        for g in open_goals.filter(target_date__gte=upcoming.start, target_date__lte=upcoming.end)
    ]
    overdue = [goal_entry(g) for g in open_goals.filter(target_date__lt=upcoming.start)]
    milestones = [
        Entry(m.title, m.due, m.goal.title)
        for m in Milestone.objects.filter(
            goal__plan=plan, done_at__isnull=True, due__gte=upcoming.start, due__lte=upcoming.end
        ).select_related("goal")
    ]
    return Plan(goals, overdue, milestones, plan.next_review, has_plan=True)


def account_report(*, account: Account, period: ReportPeriod, now: datetime) -> AccountReport:
    """The report of ``account`` for ``period`` (no scope: the selectors check it)."""
    currency = settings.TENURE_CURRENCY
    return AccountReport(
        account_id=account.pk, account_name=account.name, period=period,
        previous=period.before(), next=period.after(), currency=currency, generated_at=now,
        done=_done(account, period), results=_results(account, period, currency),
        metrics=_metrics(account, period), plan=_plan(account, period),
    )  # fmt: skip
