"""The demo's email history: what the built-in playbooks and the quarterly newsletter would
have sent over the window, and who opened and clicked, so the health score's email component
and the Email pages have something true to show from the first minute.

Who gets what follows the rules tenure applies when it sends: marketing only to those who said
yes to marketing email (and to the newsletter topic for the newsletter), as their consent
stands at the end of the window; at most one check-in a month. How much a customer engages is
their own (a Beta draw), and falls after they stopped buying (``dropped_out_at``): the email
component of health then carries some of the signal a success team reads in real inboxes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from tenure.demo.records import (
    Clock,
    ConsentRecord,
    CustomerRecord,
    MessageRecord,
    OrderRecord,
    TruthRecord,
)

WELCOME = (("welcome-introduction", 0.0), ("welcome-onboarding-documents", 2.0),
           ("welcome-getting-help", 5.0))  # fmt: skip
CHECK_IN_AFTER_DAYS = 7.0
CHECK_IN_AT_MOST_EVERY_DAYS = 30.0
OPEN_RATE = (2.0, 3.0)  # Beta(a, b): a customer's own chance to open, mean 0.4
CLICK_GIVEN_OPEN = 0.25
AFTER_DROPOUT = 0.3  # their chance to open once they stopped buying, as a share of before
OPEN_DELAY_HOURS = 8.0  # mean time to an open, exponential


def _newsletter_days(clock: Clock) -> list[datetime]:
    """A newsletter every quarter of the window, 9:00 UTC, counted from its start (so the same
    business observed a few days later has the same letters, moved with it)."""
    quarter = 365.25 / 4
    return [clock.at(day + 0.375) for day in np.arange(quarter / 2, clock.horizon_days, quarter)]


def message_records(
    rng: np.random.Generator,
    clock: Clock,
    *,
    customers: tuple[CustomerRecord, ...],
    consents: tuple[ConsentRecord, ...],
    orders: tuple[OrderRecord, ...],
    truths: tuple[TruthRecord, ...],
) -> tuple[MessageRecord, ...]:
    """Every message sent in the window, by send time, with its open and click if any."""
    end = clock.at(clock.horizon_days)
    granted = {(c.customer, c.purpose) for c in consents if c.granted}
    marketing = [(i, "email_marketing") in granted for i in range(len(customers))]
    newsletter = [m and (i, "newsletter") in granted for i, m in enumerate(marketing)]
    dropped = {t.customer: t.dropped_out_at for t in truths}
    sends: list[tuple[int, str, str, str, datetime, str]] = []  # customer, stream, step, ...
    for i, customer in enumerate(customers):
        if not marketing[i]:
            continue
        for index, (template, days) in enumerate(WELCOME):
            at = customer.created_at + timedelta(days=days, hours=1)
            if at < end:
                sends.append((i, "welcome-series", str(index * 2), "once", at, template))
    last_check_in: dict[int, datetime] = {}
    for order in sorted(orders, key=lambda o: o.placed_at):
        if not marketing[order.customer] or order.status != "completed":
            continue
        at = order.placed_at + timedelta(days=CHECK_IN_AFTER_DAYS)
        before = last_check_in.get(order.customer)
        if at >= end or (
            before is not None and at - before < timedelta(days=CHECK_IN_AT_MOST_EVERY_DAYS)
        ):
            continue
        last_check_in[order.customer] = at
        sends.append((order.customer, "post-purchase-check-in", "1", at.date().isoformat(), at,
                      "post-purchase-check-in"))  # fmt: skip
    for start in _newsletter_days(clock):
        for i, customer in enumerate(customers):
            if newsletter[i] and customer.created_at < start:
                sends.append((i, "relationship-newsletter", "0", start.date().isoformat(), start,
                              "relationship-newsletter"))  # fmt: skip
    sends.sort(key=lambda s: (s[4], s[0], s[1], s[2]))
    rates = rng.beta(*OPEN_RATE, size=len(customers))
    draws = rng.random((len(sends), 2))
    delays = rng.exponential(OPEN_DELAY_HOURS, size=(len(sends), 2))
    records = []
    for n, (i, stream, step, occurrence, at, template) in enumerate(sends):
        gone = dropped.get(i)
        rate = rates[i] * (AFTER_DROPOUT if gone is not None and at >= gone else 1.0)
        opened = at + timedelta(hours=float(delays[n, 0])) if draws[n, 0] < rate else None
        clicked = None
        if opened is not None and draws[n, 1] < CLICK_GIVEN_OPEN:
            clicked = opened + timedelta(minutes=1 + float(delays[n, 1]) * 7.5)
        records.append(
            MessageRecord(
                customer=i, stream=stream, step=step, occurrence=occurrence, template=template,
                sent_at=at, opened_at=opened if opened is not None and opened < end else None,
                clicked_at=clicked if clicked is not None and clicked < end else None,
            )
        )  # fmt: skip
    return tuple(records)
