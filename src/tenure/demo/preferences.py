"""What customers agreed to and the dates they care about."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from tenure.demo import vocabulary as words
from tenure.demo.records import Clock, ConsentRecord, CustomerRecord, SpecialDateRecord

# purpose -> probability of granting it at signup (consumers, customers of an account)
CONSENT_AT_SIGNUP = {
    "email_marketing": (0.55, 0.45),
    "sms_marketing": (0.2, 0.05),
    "phone": (0.3, 0.75),
    "service_email": (0.97, 0.99),
    "profiling": (0.5, 0.4),
}
# label -> share of consumers who told us the date, and the earliest year it falls in
CONSUMER_DATES = {
    "Wedding anniversary": (0.08, 1985),
    "Name day": (0.05, 1985),
    "Child's birthday": (0.07, 2005),
}
COMPANY_DATE_SHARE = 0.3  # of business customers who gave their company's founding day
# marketing-email topic -> probability of keeping it, for those who said yes to marketing email
TOPICS_KEPT = {"newsletter": 0.9, "offers": 0.7, "loyalty": 0.8}
NEWSLETTER_EMAIL_CONSENT = 0.95  # customers who came through the newsletter said yes to it
CHANGED_LATER = 0.12  # of consents: changed once since signup, in the preference centre


def consent_records(
    rng: np.random.Generator, clock: Clock, *, customers: tuple[CustomerRecord, ...]
) -> tuple[ConsentRecord, ...]:
    """One consent per purpose per customer, as it stands at the end of the window."""
    consents = []
    for i, customer in enumerate(customers):
        business = customer.account is not None
        joined = (customer.created_at - clock.start).total_seconds() / 86400
        for purpose, shares in CONSENT_AT_SIGNUP.items():
            share = shares[business]
            if purpose == "email_marketing" and customer.channel == "Newsletter":
                share = NEWSLETTER_EMAIL_CONSENT
            granted = bool(rng.random() < share)
            changed_at, source = customer.created_at, "account setup" if business else "signup form"
            if rng.random() < CHANGED_LATER and joined < clock.horizon_days - 1:
                granted = not granted
                changed_at = clock.at(float(rng.uniform(joined, clock.horizon_days)))
                source = "preference centre"
            consents.append(
                ConsentRecord(
                    customer=i,
                    purpose=purpose,
                    granted=granted,
                    changed_at=changed_at,
                    source=source,
                )
            )
    # The topics after every purpose, so the purposes stay as they were before topics existed.
    marketing = {c.customer: c for c in consents if c.purpose == "email_marketing"}
    for i in range(len(customers)):
        email = marketing[i]
        for topic, kept in TOPICS_KEPT.items():
            consents.append(
                ConsentRecord(
                    customer=i,
                    purpose=topic,
                    granted=email.granted and bool(rng.random() < kept),
                    changed_at=email.changed_at,
                    source=email.source,
                )
            )
    return tuple(consents)


def _some_day(rng: np.random.Generator, first_year: int, last_year: int) -> date:
    year = int(rng.integers(first_year, last_year + 1))
    return date(year, 1, 1) + timedelta(days=int(rng.integers(365)))


def special_date_records(
    rng: np.random.Generator, *, customers: tuple[CustomerRecord, ...], today: date
) -> tuple[SpecialDateRecord, ...]:
    """Anniversaries and name days for some consumers, founding days for some companies."""
    dates = []
    for i, customer in enumerate(customers):
        if customer.account is not None:
            if rng.random() < COMPANY_DATE_SHARE:
                day = _some_day(rng, 1970, today.year - 2)
                dates.append(SpecialDateRecord(i, words.BUSINESS_SPECIAL_DATE, day, True))
            continue
        for label, (share, first_year) in CONSUMER_DATES.items():
            if rng.random() < share:
                day = _some_day(rng, first_year, today.year - 1)
                dates.append(SpecialDateRecord(i, label, day, True))
    return tuple(dates)
