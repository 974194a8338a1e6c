"""The demo business: Kettle & Crane Coffee Roasters, three years of it, from a seed.

Pure and deterministic: ``generate_business(seed=..., today=...)`` returns the same records for
the same arguments (on the same NumPy version), touches no database and never reads the clock.
The observation window is the ``years`` before 00:00 UTC of ``today``.

What is in it (default sizes):

- a team of six (a manager, four success managers, an analyst); the demo login is added by the
  loader;
- 40 accounts (companies: industry, size band, budget band, custom attributes), each with 2-5
  contacts in different roles, the decision maker primary; an owner and sometimes more team;
- 2,400 customers, acquired throughout the window (more of them lately: a growing business),
  22 % of them buying for an account; names, emails (reserved ``.example`` and example.com
  domains), fictional phone numbers, time zones, channels, categories (Home, Office, Enterprise),
  birthdays and other special dates, a consent per purpose, custom attributes;
- about 25,000 orders: a first order at acquisition, then repeat orders from the BG/NBD process
  (``purchases.BuyingProcess``: rate ~ Gamma, dropout after each repeat purchase ~ Beta) and
  amounts from Gamma-Gamma; about 2 % refunded and 1.5 % cancelled; a third with order lines;
- subscriptions for 15 % of consumers and 35 % of business customers, monthly or yearly, cancelled
  with a reason at a renewal (shifted-beta-geometric) or soon after the customer drops out;
- calls, meetings, emails and notes with customers and accounts, support tickets and complaints
  (recent ones open, older ones mostly resolved with a resolution);
- NPS answers of 40 % of the customers, CSAT answers after 5 % of the orders, and referrals:
  who brought most customers acquired through "Referral", and open invitations
  (``tenure.demo.feedback``).

What is planted for analytics to find (the truth of each customer is in ``truths``):

1. **Paid social and low budgets churn.** Customers acquired through "Paid social", and
   customers of accounts in the "low" budget band, drop out after a repeat purchase with
   probability ~ Beta(1.2, 4.5) (mean 0.21) instead of Beta(1.2, 18) (mean 0.06).
2. **Referrals buy more often.** Customers acquired by "Referral" buy at 1.6 times the rate of
   others (Gamma(1.1, rate=15) per day, against Gamma(1.1, rate=24): 27 and 17 a year).
3. **Complaints come before the silence.** 45 % of the customers who drop out file a complaint
   between half a day and three weeks after their final order, and a third of those final
   orders are refunded; everyone complains at a background rate of 0.08 a year as well.
4. **Spend follows the category.** Mean order value is about 44 for Home, 120 for Office and
   300 for Enterprise customers (Gamma-Gamma with gamma 22, 60 and 150).
5. **Newsletter sign-ups consent to marketing email** (95 %, against about 55 %).
6. **Subscriptions end with the customer.** A customer who drops out cancels any subscription
   within two months of their final order.
7. **Promoters buy, detractors complained.** Frequent buyers who are still buying answer NPS
   mostly 9-10; an answer within 120 days after a complaint is mostly 0-6; frequent buyers
   bring the referred customers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from tenure.demo import (
    activity,
    engagement,
    feedback,
    people,
    preferences,
    purchases,
    subscriptions,
)
from tenure.demo.purchases import DAYS_PER_YEAR, BuyingProcess
from tenure.demo.records import Clock, CustomerRecord, DemoBusiness, TruthRecord

DEFAULT_SEED = 2024
DEFAULT_CUSTOMERS = 2400
DEFAULT_ACCOUNTS = 40
DEFAULT_YEARS = 3.0
ACQUISITION_GROWTH = 1.4  # acquisition density grows like t ** (growth - 1): a growing business
RISKY_CHANNEL = "Paid social"
RISKY_BUDGET = "low"
FAST_CHANNEL = "Referral"


def generate_business(
    *,
    seed: int = DEFAULT_SEED,
    today: date,
    customers: int = DEFAULT_CUSTOMERS,
    accounts: int = DEFAULT_ACCOUNTS,
    years: float = DEFAULT_YEARS,
    currency: str = "USD",
    process: BuyingProcess | None = None,
) -> DemoBusiness:
    """The demo business of ``seed``, observed over the ``years`` that end at ``today``."""
    if customers < 1 or accounts < 0 or years <= 0:
        raise ValueError("a demo business needs customers >= 1, accounts >= 0 and years > 0")
    process = process or BuyingProcess()
    # Spawned streams do not depend on how many are spawned: a stream added at the end leaves
    # the earlier ones (and every business they drew) as they were.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(11)]
    horizon = float(round(years * DAYS_PER_YEAR))
    start = datetime.combine(today, time(0), tzinfo=UTC) - timedelta(days=horizon)
    clock = Clock(start=start, horizon_days=horizon)
    # one stream per part, so that changing how one part is drawn leaves the others as they were
    people_rng, buy_rng, line_rng, talk_rng, sub_rng, pref_rng, date_rng, when_rng = streams[:8]
    survey_rng, referral_rng, mail_rng = streams[8:]

    acquired = np.sort(horizon * when_rng.power(ACQUISITION_GROWTH, customers))
    drafts = people.account_drafts(people_rng, accounts)
    membership = people.account_membership(people_rng, customers, drafts)
    account_countries = people.countries(people_rng, accounts)
    customer_rows = people.customer_records(
        people_rng,
        today=today,
        created_at=[clock.at(float(day)) for day in acquired],
        membership=membership,
        drafts=drafts,
        account_countries=account_countries,
    )
    account_rows = people.account_records(people_rng, drafts, customer_rows)
    referred = np.array([c.channel == FAST_CHANNEL for c in customer_rows])
    history = purchases.simulate_purchases(
        buy_rng,
        process,
        acquired_day=acquired,
        horizon_days=horizon,
        referred=referred,
        risky=_risky(customer_rows, budgets=[d["budget_band"] for d in drafts]),
        category=np.array([c.category for c in customer_rows]),
    )
    orders = purchases.order_records(history, clock=clock, currency=currency)
    contacts = people.contact_records(people_rng, drafts, account_countries)
    interactions = activity.customer_interactions(
        talk_rng, clock, customers=customer_rows, acquired_day=acquired, history=history
    ) + activity.account_interactions(talk_rng, clock, accounts=account_rows, contacts=contacts)
    consents = preferences.consent_records(pref_rng, clock, customers=customer_rows)
    truths = _truths(history, clock)
    return DemoBusiness(
        seed=seed,
        today=today,
        team=people.team_records(),
        accounts=account_rows,
        contacts=contacts,
        customers=customer_rows,
        truths=truths,
        orders=orders,
        order_lines=purchases.order_line_records(line_rng, orders),
        special_dates=preferences.special_date_records(
            date_rng, customers=customer_rows, today=today
        ),
        consents=consents,
        subscriptions=subscriptions.subscription_records(
            sub_rng,
            clock,
            customers=customer_rows,
            acquired_day=acquired,
            history=history,
            currency=currency,
        ),
        interactions=tuple(sorted(interactions, key=lambda row: row.occurred_at)),
        survey_responses=feedback.survey_records(
            survey_rng,
            clock,
            acquired_day=acquired,
            history=history,
            orders=orders,
            interactions=interactions,
        ),
        referrals=feedback.referral_records(
            referral_rng,
            clock,
            customers=customer_rows,
            acquired_day=acquired,
            history=history,
            referred=referred,
        ),
        messages=engagement.message_records(
            mail_rng,
            clock,
            customers=customer_rows,
            consents=consents,
            orders=orders,
            truths=truths,
        ),
    )


def _risky(customers: tuple[CustomerRecord, ...], *, budgets: list[str]) -> np.ndarray:
    """Who drops out faster: paid-social customers and customers of low-budget accounts."""
    return np.array(
        [
            c.channel == RISKY_CHANNEL
            or (c.account is not None and budgets[c.account] == RISKY_BUDGET)
            for c in customers
        ]
    )


def _truths(history: purchases.PurchaseHistory, clock: Clock) -> tuple[TruthRecord, ...]:
    return tuple(
        TruthRecord(
            customer=i,
            purchases_per_year=float(rate * DAYS_PER_YEAR),
            dropout_probability=float(p),
            dropped_out_at=None if np.isnan(day) else clock.at(float(day)),
        )
        for i, (rate, p, day) in enumerate(
            zip(
                history.purchase_rate,
                history.dropout_probability,
                history.dropout_day,
                strict=True,
            )
        )
    )
