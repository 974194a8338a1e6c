"""What happens around the purchases: conversations and cases, subscriptions, consents, dates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tenure.demo import vocabulary as words
from tenure.demo.people import SUCCESS_MANAGERS
from tenure.demo.purchases import DAYS_PER_YEAR, PurchaseHistory
from tenure.demo.records import (
    AccountRecord,
    Clock,
    ContactRecord,
    CustomerRecord,
    InteractionRecord,
)

# Interactions a year per customer: (kind, rate) for consumers with an owner, and for customers
# of an account; consumers without an owner hear from the team rarely.
CONSUMER_CONVERSATIONS = (("call", 0.35), ("email", 0.5), ("note", 0.3))
BUSINESS_CONVERSATIONS = (("call", 1.0), ("meeting", 0.8), ("email", 1.0), ("note", 0.5))
ACCOUNT_CONVERSATIONS = (("meeting", 2.0), ("call", 1.5), ("email", 1.5))
UNOWNED_FACTOR = 0.3
TICKETS_PER_YEAR = 0.3
COMPLAINTS_PER_YEAR = 0.08  # the background rate; dropouts get the planted ones on top
FOLLOW_UP_DAYS = 60  # the team keeps writing for a while after a customer goes quiet
RECENT_CASE_DAYS = 10  # cases this young are still open or in progress


@dataclass(frozen=True)
class _Case:
    subject: str
    body: str
    resolution: str


def _pick(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def _text(template: str, *, first: str, rng: np.random.Generator) -> str:
    return template.format(first=first, product=_pick(rng, words.PRODUCTS)[1])


def _case_fields(
    rng: np.random.Generator, clock: Clock, *, day: float, resolution: str
) -> dict[str, Any]:
    """Status and resolution of a complaint or ticket opened on ``day``."""
    age = clock.horizon_days - day
    if age > RECENT_CASE_DAYS and rng.random() < 0.94:
        resolved = min(day + 0.1 + rng.exponential(3.0), clock.horizon_days - 0.01)
        return {
            "status": "resolved",
            "resolution": resolution,
            "resolved_at": clock.at(resolved),
        }
    return {"status": _pick(rng, ("open", "in_progress")), "resolution": "", "resolved_at": None}


def _author(rng: np.random.Generator, customer: CustomerRecord) -> str:
    if customer.owner is None:
        return str(_pick(rng, SUCCESS_MANAGERS))
    if customer.team and rng.random() < 0.2:
        return customer.team[0]
    return customer.owner


def customer_interactions(
    rng: np.random.Generator,
    clock: Clock,
    *,
    customers: tuple[CustomerRecord, ...],
    acquired_day: np.ndarray,
    history: PurchaseHistory,
) -> list[InteractionRecord]:
    """Welcome emails, check-ins, notes, tickets and complaints of each customer."""
    interactions = []
    for i, customer in enumerate(customers):
        start, dropout = float(acquired_day[i]), float(history.dropout_day[i])
        end = clock.horizon_days
        if not np.isnan(dropout):
            end = min(end, dropout + FOLLOW_UP_DAYS)
        planned: list[tuple[str, float]] = []
        if rng.random() < 0.8 and start + 2 < clock.horizon_days:
            planned.append(("welcome", start + float(rng.uniform(0.05, 2))))
        for kind, rate in _yearly_rates(customer):
            count = rng.poisson(rate * max(end - start, 0.0) / DAYS_PER_YEAR)
            planned += [(kind, float(day)) for day in rng.uniform(start, end, count)]
        if not np.isnan(history.complaint_day[i]):
            planned.append(("complaint", float(history.complaint_day[i])))
        interactions += [_interaction(rng, clock, i, customer, kind, day) for kind, day in planned]
    return interactions


def _yearly_rates(customer: CustomerRecord) -> list[tuple[str, float]]:
    """How often a year each kind of interaction happens with this customer."""
    business = customer.account is not None
    factor = 1.0 if business or customer.owner else UNOWNED_FACTOR
    conversations = BUSINESS_CONVERSATIONS if business else CONSUMER_CONVERSATIONS
    return [
        *((kind, rate * factor) for kind, rate in conversations),
        ("ticket", TICKETS_PER_YEAR),
        ("complaint", COMPLAINTS_PER_YEAR),
    ]


def _interaction(
    rng: np.random.Generator,
    clock: Clock,
    index: int,
    customer: CustomerRecord,
    kind: str,
    day: float,
) -> InteractionRecord:
    fields: dict[str, Any] = {"status": "", "resolution": "", "resolved_at": None}
    if kind == "welcome":
        kind, (subject, body) = "email", words.CONVERSATIONS["email"][0]
    elif kind in ("complaint", "ticket"):
        subject, body, resolution = _pick(
            rng, words.COMPLAINTS if kind == "complaint" else words.TICKETS
        )
        fields = _case_fields(rng, clock, day=day, resolution=resolution)
    else:
        subject, body = _pick(rng, words.CONVERSATIONS[kind])
    return InteractionRecord(
        customer=index,
        account=customer.account,
        contact=None,
        kind=kind,
        occurred_at=clock.at(day),
        author=_author(rng, customer),
        subject=subject,
        body=_text(body, first=customer.first_name, rng=rng),
        **fields,
    )


def account_interactions(
    rng: np.random.Generator,
    clock: Clock,
    *,
    accounts: tuple[AccountRecord, ...],
    contacts: tuple[ContactRecord, ...],
) -> list[InteractionRecord]:
    """Meetings, calls and emails with an account's contacts, by its owner and team."""
    by_account: dict[int, list[int]] = {}
    for index, person in enumerate(contacts):
        by_account.setdefault(person.account, []).append(index)
    interactions = []
    for a, account in enumerate(accounts):
        start = max((account.created_at - clock.start).total_seconds() / 86400, 0.0)
        years = (clock.horizon_days - start) / DAYS_PER_YEAR
        for kind, rate in ACCOUNT_CONVERSATIONS:
            for day in rng.uniform(start, clock.horizon_days, rng.poisson(rate * years)):
                contact = int(_pick(rng, tuple(by_account[a])))
                subject, body = _pick(rng, words.CONVERSATIONS[kind])
                interactions.append(
                    InteractionRecord(
                        customer=None,
                        account=a,
                        contact=contact,
                        kind=kind,
                        occurred_at=clock.at(float(day)),
                        author=_pick(rng, (account.owner, account.owner, *account.team)),
                        subject=subject,
                        body=_text(body, first=contacts[contact].first_name, rng=rng),
                        status="",
                        resolution="",
                        resolved_at=None,
                    )
                )
    return interactions
