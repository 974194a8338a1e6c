"""One account whose results for 2025-Q3 are worked by hand (UTC, the business's default).

Orders (USD unless said):
  Q3: Ada 120.50 on 15 Jul, Bob 79.25 at 23:59 on 30 Sep, Ada 10.00 EUR on 20 Aug: 3 orders,
      spend 199.75 USD and 10.00 EUR; Ada 40.00 refunded (1 Aug) and Bob 15.00 cancelled
      (2 Aug) are not spend; Ada 999.00 at 00:00 on 1 Oct is Q4's; an outsider's 500.00 on
      20 Jul is another account's.
  Q2: Ada 25.00 on 10 May and 50.00 at 23:59 on 30 Jun: 2 orders, 75.00 USD.
  Change in USD: (199.75 - 75.00) / 75.00 = +166.3 %.
Interactions in Q3 (by when they happened): a meeting, a call, a complaint (15 Aug, still
  open), a ticket (1 Sep, resolved 3 Sep); a complaint of 20 Jun resolved on 5 Jul.
  Issues opened 2 (the complaint and the ticket), resolved 2 (5 Jul and 3 Sep).
NPS in Q3: 10, 9, 8, 3: 2 promoters, 1 passive, 1 detractor of 4: (2 - 1) / 4 = 25; a 0 in
  Q2 and an outsider's 10 do not count. CSAT: 5 and 2: 1 of 2 satisfied = 50 %.
Success plan: "Cut onboarding time" achieved 30 Aug (a goal reached), "Launch the EU store"
  open for 15 Nov (Q4's plan), "Renew the contract" open, due 1 Sep (overdue); milestone
  "Kickoff done" done 12 Jul, "EU pilot live" due 20 Oct; next review 15 Oct 2025.
Tasks done in Q3: "Kickoff meeting" (onboarding, 3 Jul) and "Send the usage summary" (20 Jul);
  one done 1 Jun is Q2's.
Agency metrics: leads 100 + 120 + 80 = 300 (June's 999 is Q2's), retention 90 and 95: mean
  92.5, lifetime value 1000 in July then 1200.50 in September: 1200.50 (the last), custom
  webinars 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tenure.customers.models import Account, Customer
from tenure.feedback.models import SurveyResponse
from tenure.interactions.models import Interaction
from tenure.reports.services import account_metrics_upsert
from tenure.success.models import Goal, Milestone, SuccessPlan
from tenure.todos.models import Task
from tenure.users.models import User
from tests.factories import make_account, make_customer, make_order, make_user
from tests.mail.conftest import grant

NOW = datetime(2025, 10, 6, 12, 0, tzinfo=UTC)  # a Monday after Q3


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Acme:
    account: Account
    owner: User
    ada: Customer
    bob: Customer
    outsider: Customer


def _case(account: Account, customer: Customer, kind: str, when: datetime, **more: Any) -> None:
    Interaction.objects.create(
        account=account, customer=customer, kind=kind, occurred_at=when, **more
    )


def acme_build() -> Acme:
    owner = make_user(role="success_manager", first_name="Sam", last_name="Reed")
    account = make_account(name="Acme Rockets", owner=owner)
    ada = make_customer(account=account, first_name="Ada", email="ada@acme.example")
    bob = make_customer(account=account, first_name="Bob", email="bob@acme.example")
    grant(ada)  # Bob has given no consent to marketing email
    outsider = make_customer(account=make_account(name="Other Co"), email="o@other.example")
    orders = [
        (ada, at(7, 15), "120.50", "completed", "USD"),
        (bob, at(9, 30, 23, 59), "79.25", "completed", "USD"),
        (ada, at(8, 20), "10.00", "completed", "EUR"),
        (ada, at(8, 1), "40.00", "refunded", "USD"),
        (bob, at(8, 2), "15.00", "cancelled", "USD"),
        (ada, at(10, 1, 0, 0), "999.00", "completed", "USD"),
        (outsider, at(7, 20), "500.00", "completed", "USD"),
        (ada, at(5, 10), "25.00", "completed", "USD"),
        (ada, at(6, 30, 23, 59), "50.00", "completed", "USD"),
    ]
    for customer, when, amount, status, currency in orders:
        make_order(
            customer=customer, placed_at=when, amount=Decimal(amount), status=status,
            currency=currency,
        )  # fmt: skip
    Interaction.objects.create(
        account=account, kind="meeting", occurred_at=at(7, 10), subject="Quarterly kickoff"
    )
    _case(account, ada, "call", at(7, 11), subject="Usage questions")
    _case(account, ada, "complaint", at(8, 15), subject="Late delivery", status="open")
    _case(
        account, ada, "ticket", at(9, 1), subject="Login fails", status="resolved",
        resolved_at=at(9, 3), resolution="Password reset",
    )  # fmt: skip
    _case(
        account, bob, "complaint", at(6, 20), subject="Wrong invoice", status="resolved",
        resolved_at=at(7, 5), resolution="Credit note sent",
    )  # fmt: skip
    for customer, kind, score, when in [
        (ada, "nps", 10, at(7, 2)), (ada, "nps", 9, at(8, 2)), (bob, "nps", 8, at(8, 3)),
        (bob, "nps", 3, at(9, 4)), (ada, "nps", 0, at(6, 1)), (outsider, "nps", 10, at(7, 3)),
        (ada, "csat", 5, at(7, 4)), (bob, "csat", 2, at(7, 5)),
    ]:  # fmt: skip
        SurveyResponse.objects.create(customer=customer, kind=kind, score=score, answered_at=when)
    plan = SuccessPlan.objects.create(
        account=account, title="Grow with Acme", status="active", next_review=date(2025, 10, 15)
    )
    Goal.objects.create(
        plan=plan, title="Cut onboarding time", target_date=date(2025, 9, 30), owner=owner,
        status="achieved", achieved_at=at(8, 30),
    )  # fmt: skip
    eu = Goal.objects.create(
        plan=plan, title="Launch the EU store", target_date=date(2025, 11, 15), owner=owner
    )
    Goal.objects.create(
        plan=plan, title="Renew the contract", target_date=date(2025, 9, 1), owner=owner
    )
    Milestone.objects.create(
        goal=eu, title="Kickoff done", due=date(2025, 7, 15), done_at=at(7, 12)
    )
    Milestone.objects.create(goal=eu, title="EU pilot live", due=date(2025, 10, 20))
    for title, rule, done in [
        ("Kickoff meeting", "onboarding", at(7, 3)), ("Send the usage summary", "", at(7, 20)),
        ("Old chore", "", at(6, 1)),
    ]:  # fmt: skip
        Task.objects.create(
            title=title, owner=owner, due=done.date(), account=account, rule=rule,
            status="done", completed_at=done,
        )  # fmt: skip
    rows = [
        ("leads", "2025-07", "100"), ("leads", "2025-08", "120"), ("leads", "2025-09", "80"),
        ("leads", "2025-06", "999"), ("retention_rate", "2025-07", "90"),
        ("retention_rate", "2025-08", "95"), ("lifetime_value", "2025-07", "1000"),
        ("lifetime_value", "2025-09", "1200.50"), ("custom:webinars", "2025-08", "3"),
    ]  # fmt: skip
    account_metrics_upsert(
        by=None, now=NOW,
        rows=[{"account": account.name, "metric": m, "month": mo, "value": v} for m, mo, v in rows],
    )  # fmt: skip
    return Acme(account, owner, ada, bob, outsider)
