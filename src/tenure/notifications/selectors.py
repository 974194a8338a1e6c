"""Reads: a team member's notifications, and "My day", their customers ranked by value at risk
and their open tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from tenure.access import visible
from tenure.customers.models import Account, Customer
from tenure.domain.worklist import (
    Member,
    WorklistScore,
    account_worklist_score,
    worklist_score,
)
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind
from tenure.notifications.models import AccountWorklistSnooze, Notification, WorklistSnooze
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another's)."""
    found = Notification.objects.filter(recipient=user)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-id")


@dataclass(frozen=True)
class WorklistRow:
    customer: Customer
    ranking: WorklistScore
    next_renewal: datetime | None
    health_band: str
    open_tasks: int


@dataclass(frozen=True)
class AccountWorklistRow:
    account: Account
    ranking: WorklistScore
    next_renewal: datetime | None
    customers: int
    open_tasks: int  # on the account itself or on one of its customers


@dataclass(frozen=True)
class MyDay:
    rows: list[WorklistRow]
    tasks: list[Task]
    snoozed: int  # customers put aside, not shown today
    accounts: list[AccountWorklistRow]
    accounts_snoozed: int


_NEXT_RENEWAL = "subscriptions__renews_at"


def _next_renewal(start_of_today: datetime) -> Min:
    """A customer's next renewal: the soonest of their live subscriptions from today on."""
    live = Q(subscriptions__cancelled_at__isnull=True, subscriptions__renews_at__gte=start_of_today)
    return Min(_NEXT_RENEWAL, filter=live)


# The figures the ranking reads, as plain values: a book of thousands is ranked without making
# a model (and its prediction and health) per customer, 1.4 s of 1.5 at 3,000 customers.
_RANKED = (
    "prediction__id", "prediction__churn_risk", "prediction__predicted_clv_365", "revenue",
    "health__score", "next_renewal",
)  # fmt: skip


def _member(values: tuple[Any, ...], today: date) -> Member:
    predicted, churn_risk, clv, revenue, health, renewal = values
    return Member(
        churn_risk=churn_risk,
        health_score=health,
        value=clv if predicted is not None else revenue or Decimal(0),
        days_to_renewal=(timezone.localdate(renewal) - today).days if renewal else None,
    )


def my_day(*, user: User, today: date | None = None, limit: int = 50) -> MyDay:
    """The customers ``user`` owns, ranked by ``tenure.domain.worklist`` (value at risk x how
    soon they renew), without those put aside until after ``today``; and the user's open
    tasks, the ones about the highest-ranked customers first, then by due date."""
    today = today or timezone.localdate()
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    aside = WorklistSnooze.objects.filter(user=user, until__gt=today).values("customer_id")
    found = (
        visible(user, Customer)
        .filter(owner=user)
        .exclude(pk__in=aside)
        .annotate(
            next_renewal=_next_renewal(start_of_today),
            open_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN), distinct=True),
        )
        .values_list("pk", "health__band", "open_tasks", *_RANKED)
    )
    ranked = []
    for pk, band, open_tasks, *figures in found:
        member = _member(tuple(figures), today)
        ranking = worklist_score(
            churn_risk=member.churn_risk, health_score=member.health_score,
            value=member.value, days_to_renewal=member.days_to_renewal,
        )  # fmt: skip
        ranked.append((-ranking.score, pk, ranking, figures[-1], band or "", open_tasks))
    ranked.sort(key=lambda row: (row[0], row[1]))
    rank = {row[1]: i for i, row in enumerate(ranked)}
    shown = Customer.objects.select_related("prediction", "health").in_bulk(
        [row[1] for row in ranked[:limit]]
    )
    rows = [
        WorklistRow(shown[pk], ranking, renewal, band, open_tasks)
        for _, pk, ranking, renewal, band, open_tasks in ranked[:limit]
        if pk in shown  # not deleted since the ranking's read
    ]
    tasks = list(
        Task.objects.filter(owner=user, status=TaskStatus.OPEN).select_related(
            "customer", "account"
        )
    )
    tasks.sort(key=lambda task: (rank.get(task.customer_id or 0, len(rank)), task.due, task.pk))
    snoozed = WorklistSnooze.objects.filter(user=user, until__gt=today).count()
    accounts, accounts_snoozed = _account_rows(user, today, start_of_today)
    return MyDay(
        rows=rows,
        tasks=tasks,
        snoozed=snoozed,
        accounts=accounts[:limit],
        accounts_snoozed=accounts_snoozed,
    )


def _account_rows(
    user: User, today: date, start_of_today: datetime
) -> tuple[list[AccountWorklistRow], int]:
    """The accounts ``user`` owns, ranked by ``account_worklist_score`` over all their customers
    (as the account cockpit sums them). Three queries whatever the book's size: the accounts with
    their tasks counted, their customers with prediction, health and next renewal, the count put
    aside."""
    aside = AccountWorklistSnooze.objects.filter(user=user, until__gt=today)
    accounts = {
        account.pk: account
        for account in visible(user, Account)
        .filter(owner=user)
        .exclude(pk__in=aside.values("account_id"))
        .annotate(
            open_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN), distinct=True),
            customer_tasks=Count(
                "customers__tasks",
                filter=Q(customers__tasks__status=TaskStatus.OPEN),
                distinct=True,
            ),
        )
    }
    members: dict[int, list[Member]] = {pk: [] for pk in accounts}
    renewals: dict[int, datetime] = {}
    customers = (
        Customer.objects.filter(account_id__in=list(accounts))
        .annotate(next_renewal=_next_renewal(start_of_today))
        .values_list("account_id", *_RANKED)
    )
    for account_id, *figures in customers:
        renewal = figures[-1]
        members[int(account_id)].append(_member(tuple(figures), today))
        if renewal and (account_id not in renewals or renewal < renewals[account_id]):
            renewals[account_id] = renewal
    rows = [
        AccountWorklistRow(
            account,
            account_worklist_score(members[pk]),
            renewals.get(pk),
            len(members[pk]),
            account.open_tasks + account.customer_tasks,
        )
        for pk, account in accounts.items()
    ]
    rows.sort(key=lambda row: (-row.ranking.score, row.account.pk))
    return rows, aside.count()


def team_members() -> QuerySet[User]:
    """Everyone active on the team: whom one may mention or give a task to."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def team_member_label(user: User) -> str:
    """How the composer offers a team member: their name and, to tell two Sams apart, their
    username."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def team_member_named(name: str) -> User | None:
    """The active team member ``name`` means: "Sam Success (sam)", a username or a full name
    (case ignored); None when nobody or more than one person answers to it."""
    name = " ".join(name.split())
    if not name:
        return None
    members = list(team_members())
    for test in (
        lambda u: team_member_label(u).lower() == name.lower(),
        lambda u: u.username.lower() == name.lower(),
        lambda u: u.get_full_name().lower() == name.lower(),
    ):
        found = [u for u in members if test(u)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def open_complaints(
    *, customer: Customer | None = None, account: Account | None = None
) -> QuerySet[Interaction]:
    """The complaints not resolved yet of a customer (or logged on an account itself): what
    the composer's resolution may close."""
    found = Interaction.objects.filter(kind=InteractionKind.COMPLAINT, customer=customer)
    if customer is None:
        found = found.filter(account=account)
    return found.exclude(status=CaseStatus.RESOLVED).order_by("-occurred_at", "-id")


def customer_open_tasks(*, user: User, customer: Customer) -> QuerySet[Task]:
    """The open tasks about a customer that ``user`` may see, soonest due first."""
    return (
        visible(user, Task)
        .filter(customer=customer, status=TaskStatus.OPEN)
        .select_related("owner")
        .order_by("due", "id")
    )
