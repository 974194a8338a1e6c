"""/api/v1/me/day and /api/v1/me/notifications: the caller's own worklist and notifications.

"My day" is what the page of that name shows (``tenure.notifications.selectors.my_day``): the
customers and accounts the caller owns, ranked by value at risk and how soon they renew, with
the ranking's parts, and the caller's open tasks. Setting one aside (snooze, done) changes the
caller's list only, but it is work on a customer: roles that only read get 403, and a record
outside one's book 404. Notifications are everyone's own: nobody reads or marks another's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tenure.access.filtering import SortColumn
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.domain.worklist import WorklistScore
from tenure.notifications import selectors, services
from tenure.notifications.models import AccountWorklistSnooze, WorklistSnooze

router = Router(tags=["my day"])

WORKLIST_MAX = 200


class Ranking(Schema):
    score: float = Field(description="risk x value x urgency: the list's order, highest first")
    risk: float = Field(description="0..1: the churn model's risk, else from the health score")
    risk_source: str = Field(description="model, health or unknown")
    value: Money = Field(description="predicted value over 365 days, else revenue so far")
    urgency: float = Field(
        description="30 / (30 + days to the next renewal): 1 today, 0.5 in 30 days; "
        "no renewal counts as a year away"
    )
    days_to_renewal: int | None


def _ranking(score: WorklistScore) -> Ranking:
    return Ranking(
        score=score.score,
        risk=score.risk,
        risk_source=score.risk_source,
        value=score.value,
        urgency=score.urgency,
        days_to_renewal=score.days_to_renewal,
    )


class CustomerRow(Schema):
    customer_id: int
    name: str
    ranking: Ranking
    next_renewal: datetime | None
    health_band: str
    open_tasks: int


class AccountRow(Schema):
    account_id: int
    name: str
    ranking: Ranking
    next_renewal: datetime | None
    customers: int
    open_tasks: int = Field(description="on the account or on one of its customers")


class TaskRow(Schema):
    id: int
    title: str
    due: date
    priority: str
    customer_id: int | None
    account_id: int | None


class MyDayOut(Schema):
    customers: list[CustomerRow]
    accounts: list[AccountRow]
    tasks: list[TaskRow] = Field(description="open, about the highest-ranked customers first")
    snoozed: int = Field(description="customers set aside, not shown today")
    accounts_snoozed: int


class DayQuery(QueryInput):
    limit: int = Field(50, ge=1, le=WORKLIST_MAX, description="customers and accounts, each")


class SnoozeIn(Input):
    until: date = Field(description="the first day it is back on the list: after today")


class SetAside(Schema):
    until: date
    done: bool = Field(description="true: done for today (back tomorrow); false: snoozed")


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    customer_id: int | None
    created_at: datetime
    read_at: datetime | None


class ReadIn(Input):
    id: RecordId | None = Field(None, description="the notification; none: all of yours")


class Marked(Schema):
    marked: int = Field(description="how many were unread and are read now")


@router.get(
    "/me/day",
    response={200: MyDayOut, **ERROR_RESPONSES},
    summary="Your worklist: your customers and accounts ranked by value at risk, your tasks",
)
def my_day_get(request: HttpRequest, query: Query[DayQuery]) -> MyDayOut:
    day = selectors.my_day(user=caller(request), today=timezone.localdate(), limit=query.limit)
    return MyDayOut(
        customers=[
            CustomerRow(
                customer_id=row.customer.pk,
                name=str(row.customer),
                ranking=_ranking(row.ranking),
                next_renewal=row.next_renewal,
                health_band=row.health_band,
                open_tasks=row.open_tasks,
            )
            for row in day.rows
        ],
        accounts=[
            AccountRow(
                account_id=row.account.pk,
                name=row.account.name,
                ranking=_ranking(row.ranking),
                next_renewal=row.next_renewal,
                customers=row.customers,
                open_tasks=row.open_tasks,
            )
            for row in day.accounts
        ],
        tasks=[
            TaskRow(
                id=task.pk,
                title=task.title,
                due=task.due,
                priority=task.priority,
                customer_id=task.customer_id,
                account_id=task.account_id,
            )
            for task in day.tasks
        ],
        snoozed=day.snoozed,
        accounts_snoozed=day.accounts_snoozed,
    )


def _set_aside(snooze: WorklistSnooze | AccountWorklistSnooze) -> SetAside:
    return SetAside(until=snooze.until, done=snooze.done)


@router.post(
    "/me/day/customers/{customer_id}/snooze",
    response={200: SetAside, **ERROR_RESPONSES},
    summary="Set a customer aside on your worklist until a day",
)
def my_day_customer_snooze(
    request: HttpRequest, customer_id: RecordId, payload: SnoozeIn
) -> SetAside:
    snooze = services.worklist_snooze(
        user=caller(request),
        customer_id=customer_id,
        until=payload.until,
        today=timezone.localdate(),
    )
    return _set_aside(snooze)


@router.post(
    "/me/day/customers/{customer_id}/done",
    response={200: SetAside, **ERROR_RESPONSES},
    summary="Done with a customer for today: off your worklist until tomorrow",
)
def my_day_customer_done(request: HttpRequest, customer_id: RecordId) -> SetAside:
    done = services.worklist_done(
        user=caller(request), customer_id=customer_id, today=timezone.localdate()
    )
    return _set_aside(done)


@router.post(
    "/me/day/accounts/{account_id}/snooze",
    response={200: SetAside, **ERROR_RESPONSES},
    summary="Set an account aside on your worklist until a day",
)
def my_day_account_snooze(
    request: HttpRequest, account_id: RecordId, payload: SnoozeIn
) -> SetAside:
    snooze = services.worklist_account_snooze(
        user=caller(request),
        account_id=account_id,
        until=payload.until,
        today=timezone.localdate(),
    )
    return _set_aside(snooze)


@router.post(
    "/me/day/accounts/{account_id}/done",
    response={200: SetAside, **ERROR_RESPONSES},
    summary="Done with an account for today: off your worklist until tomorrow",
)
def my_day_account_done(request: HttpRequest, account_id: RecordId) -> SetAside:
    done = services.worklist_account_done(
        user=caller(request), account_id=account_id, today=timezone.localdate()
    )
    return _set_aside(done)


_NEWEST_FIRST = [SortColumn("created_at", descending=True), SortColumn("id", descending=True)]


@router.get(
    "/me/notifications",
    response={200: Page[NotificationOut], **ERROR_RESPONSES},
    summary="Your notifications, newest first",
)
def notification_list(
    request: HttpRequest,
    unread: bool = False,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = selectors.notification_list(user=caller(request), unread_only=unread)
    return paginate(found, cursor=cursor, limit=limit, sort=_NEWEST_FIRST)


@router.post(
    "/me/notifications/read",
    response={200: Marked, **ERROR_RESPONSES},
    summary="Mark one of your notifications read, or all of them",
)
def notification_read(request: HttpRequest, payload: ReadIn) -> Marked:
    marked = services.notification_mark_read(user=caller(request), notification_id=payload.id)
    return Marked(marked=marked)
