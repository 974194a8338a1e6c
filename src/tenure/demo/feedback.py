"""What the demo's customers say and whom they bring: NPS and CSAT answers, and referrals.

Planted (each customer's truth decides; times are days from the start of the window):

- **NPS** (0-10): 40 % of customers are surveyed, first 20-60 days after their first order,
  then every 5-7 months while they still buy (and for a month after they drop out); 60 % of
  surveys are answered. How they answer follows their mood at the time: within 120 days after
  a complaint mostly as detractors (70 % answer 0-6); frequent buyers (the top 40 % of purchase
  rates) who are still buying mostly as promoters (70 % answer 9-10); the others in between.
- **CSAT** (1-5): 5 % of completed or refunded orders get an answer 1-7 days later, linked to
  the order, low after a refund or a recent complaint.
- **Referrals**: 75 % of the customers acquired through "Referral" name their referrer, an
  earlier customer still buying at the time (picked in proportion to their purchase rate:
  frequent buyers refer more), invited 1-21 days before the first order (status "purchased":
  every demo customer starts with an order). Frequent buyers still buying at the end also
  sent invitations nobody took up yet (status "invited", 0.1 a year).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tenure.demo import vocabulary as words
from tenure.demo.purchases import DAYS_PER_YEAR, PurchaseHistory
from tenure.demo.records import (
    Clock,
    CustomerRecord,
    InteractionRecord,
    OrderRecord,
    ReferralRecord,
    SurveyResponseRecord,
)

SURVEYED_SHARE = 0.4
NPS_FIRST_DAYS = (20.0, 60.0)
NPS_EVERY_DAYS = (150.0, 220.0)
NPS_ANSWERED_SHARE = 0.6
ANSWERS_AFTER_DROPOUT_DAYS = 30.0
UNHAPPY_AFTER_COMPLAINT_DAYS = 120.0
FREQUENT_QUANTILE = 0.6  # purchase rates above this quantile are the frequent buyers
CSAT_SHARE = 0.05
CSAT_DELAY_DAYS = (1.0, 7.0)
COMMENT_SHARE = 0.3
NAMED_REFERRER_SHARE = 0.75
OPEN_INVITATIONS_PER_YEAR = 0.1

# (promoter, passive, detractor) shares of NPS answers, and P(CSAT = 1..5), by mood
NPS_SHARES = {
    "happy": (0.7, 0.22, 0.08),
    "neutral": (0.35, 0.4, 0.25),
    "unhappy": (0.08, 0.22, 0.7),
}
CSAT_SHARES = {
    "happy": (0.0, 0.0, 0.1, 0.3, 0.6),
    "neutral": (0.0, 0.1, 0.2, 0.4, 0.3),
    "unhappy": (0.35, 0.35, 0.2, 0.1, 0.0),
}
DETRACTOR_WEIGHTS = np.array([1, 1, 2, 3, 4, 5, 6], dtype=float)  # scores 0-6: mostly 4-6


def _complaint_days(clock: Clock, interactions: list[InteractionRecord]) -> dict[int, Any]:
    days: dict[int, list[float]] = {}
    for row in interactions:
        if row.kind == "complaint" and row.customer is not None:
            seconds = (row.occurred_at - clock.start).total_seconds()
            days.setdefault(row.customer, []).append(seconds / 86400)
    return {customer: np.array(found) for customer, found in days.items()}


class _Moods:
    """How a customer feels on a day: unhappy after a complaint, happy as a frequent buyer
    still buying, neutral otherwise."""

    def __init__(
        self, clock: Clock, history: PurchaseHistory, interactions: list[InteractionRecord]
    ) -> None:
        self.complaints = _complaint_days(clock, interactions)
        self.dropout = history.dropout_day
        rate = history.purchase_rate
        self.frequent = rate >= np.quantile(rate, FREQUENT_QUANTILE)

    def on(self, customer: int, day: float) -> str:
        complaints = self.complaints.get(customer)
        if complaints is not None and np.any(
            (complaints <= day) & (complaints > day - UNHAPPY_AFTER_COMPLAINT_DAYS)
        ):
            return "unhappy"
        dropout = self.dropout[customer]
        buying = np.isnan(dropout) or day < dropout
        return "happy" if buying and self.frequent[customer] else "neutral"


def _nps_score(rng: np.random.Generator, mood: str) -> int:
    kind = int(rng.choice(3, p=NPS_SHARES[mood]))
    if kind == 0:
        return int(rng.integers(9, 11))
    if kind == 1:
        return int(rng.integers(7, 9))
    return int(rng.choice(7, p=DETRACTOR_WEIGHTS / DETRACTOR_WEIGHTS.sum()))


def _comment(rng: np.random.Generator, kind: str, score: int) -> str:
    if rng.random() >= COMMENT_SHARE:
        return ""
    high, low = (9, 6) if kind == "nps" else (5, 2)
    feeling = "promoter" if score >= high else "detractor" if score <= low else "passive"
    options = words.SURVEY_COMMENTS[feeling]
    template = options[int(rng.integers(len(options)))]
    return template.format(product=words.PRODUCTS[int(rng.integers(len(words.PRODUCTS)))][1])


def _channel(rng: np.random.Generator, kind: str) -> str:
    channels = words.SURVEY_CHANNELS[kind]
    shares = np.array([share for _, share in channels])
    return str(channels[int(rng.choice(len(channels), p=shares))][0])


def survey_records(
    rng: np.random.Generator,
    clock: Clock,
    *,
    acquired_day: np.ndarray,
    history: PurchaseHistory,
    orders: tuple[OrderRecord, ...],
    interactions: list[InteractionRecord],
) -> tuple[SurveyResponseRecord, ...]:
    """NPS answers of the surveyed customers and CSAT answers after some orders, by time."""
    moods = _Moods(clock, history, interactions)
    answers: list[tuple[float, str, int, int | None]] = []  # (day, kind, customer, order)
    surveyed = np.flatnonzero(rng.random(acquired_day.size) < SURVEYED_SHARE)
    for i in surveyed.tolist():
        dropout = float(history.dropout_day[i])
        end = clock.horizon_days
        if not np.isnan(dropout):
            end = min(end, dropout + ANSWERS_AFTER_DROPOUT_DAYS)
        day = float(acquired_day[i]) + float(rng.uniform(*NPS_FIRST_DAYS))
        while day < end:
            if rng.random() < NPS_ANSWERED_SHARE:
                answers.append((day, "nps", i, None))
            day += float(rng.uniform(*NPS_EVERY_DAYS))
    asked = np.flatnonzero(rng.random(len(orders)) < CSAT_SHARE)
    for n in asked.tolist():
        if orders[n].status == "cancelled":
            continue
        placed = (orders[n].placed_at - clock.start).total_seconds() / 86400
        day = placed + float(rng.uniform(*CSAT_DELAY_DAYS))
        if day < clock.horizon_days:
            answers.append((day, "csat", orders[n].customer, n))
    answers.sort(key=lambda answer: answer[0])
    records = []
    counters = {"nps": 0, "csat": 0}
    for day, kind, customer, order in answers:
        mood = moods.on(customer, day)
        if kind == "nps":
            score = _nps_score(rng, mood)
        else:
            refunded = order is not None and orders[order].status == "refunded"
            score = 1 + int(rng.choice(5, p=CSAT_SHARES["unhappy" if refunded else mood]))
        counters[kind] += 1
        records.append(
            SurveyResponseRecord(
                external_id=f"DEMO-{kind.upper()}{counters[kind]:05d}",
                customer=customer,
                kind=kind,
                score=score,
                comment=_comment(rng, kind, score),
                answered_at=clock.at(day),
                channel=_channel(rng, kind),
                order=order,
            )
        )
    return tuple(records)


def _invitee_email(rng: np.random.Generator) -> str:
    first = words.FIRST_NAMES[int(rng.integers(len(words.FIRST_NAMES)))]
    last = words.LAST_NAMES[int(rng.integers(len(words.LAST_NAMES)))]
    domain = words.PERSONAL_EMAIL_DOMAINS[int(rng.integers(len(words.PERSONAL_EMAIL_DOMAINS)))]
    return (
        f"{re.sub(r'[^a-z]+', '', first.lower())}.{re.sub(r'[^a-z]+', '', last.lower())}@{domain}"
    )


def referral_records(
    rng: np.random.Generator,
    clock: Clock,
    *,
    customers: tuple[CustomerRecord, ...],
    acquired_day: np.ndarray,
    history: PurchaseHistory,
    referred: np.ndarray,
) -> tuple[ReferralRecord, ...]:
    """Who brought the referred customers (customers are in order of acquisition), and the
    invitations of frequent buyers that nobody took up yet; by time."""
    rate, dropout = history.purchase_rate, history.dropout_day
    found: list[tuple[float, int, int | None, str, str]] = []
    for j in np.flatnonzero(referred).tolist():
        if rng.random() >= NAMED_REFERRER_SHARE:
            continue
        day = float(acquired_day[j])
        earlier = acquired_day[:j] < day - 3
        buying = np.isnan(dropout[:j]) | (dropout[:j] > day)
        candidates = np.flatnonzero(earlier & buying)
        if candidates.size == 0:
            continue
        weights = rate[candidates] / rate[candidates].sum()
        i = int(rng.choice(candidates, p=weights))
        invited = max(float(acquired_day[i]) + 0.5, day - float(rng.uniform(1, 21)))
        found.append((invited, i, j, customers[j].email, "purchased"))
    frequent = rate >= np.quantile(rate, FREQUENT_QUANTILE)
    for i in np.flatnonzero(frequent & np.isnan(dropout)).tolist():
        start = float(acquired_day[i]) + 7
        if start >= clock.horizon_days:
            continue
        count = rng.poisson(
            OPEN_INVITATIONS_PER_YEAR * (clock.horizon_days - start) / DAYS_PER_YEAR
        )
        for day in rng.uniform(start, clock.horizon_days, count):
            found.append((float(day), i, None, _invitee_email(rng), "invited"))
    found.sort(key=lambda row: row[0])
    return tuple(
        ReferralRecord(
            external_id=f"DEMO-R{n:05d}",
            referrer=referrer,
            referred_customer=customer,
            referred_email=email,
            referred_at=clock.at(day),
            status=status,
        )
        for n, (day, referrer, customer, email, status) in enumerate(found, start=1)
    )
