"""The generator alone: deterministic, the promised sizes, and a truth the data agrees with."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tenure.customers.models import (
    BillingInterval,
    BudgetBand,
    ConsentPurpose,
    ContactRole,
    SizeBand,
)
from tenure.demo.generator import generate_business
from tenure.demo.records import DemoBusiness
from tenure.interactions.models import CaseStatus, InteractionKind
from tenure.orders.models import OrderStatus
from tenure.users.models import Role

from .conftest import TODAY

END = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
START = END - timedelta(days=1096)


def orders_by_customer(business: DemoBusiness) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for order in business.orders:
        grouped[order.customer].append(order)
    return grouped


def test_the_same_seed_and_day_give_the_same_business(business):
    again = generate_business(today=TODAY)
    assert again.content_hash() == business.content_hash()
    assert generate_business(seed=7, today=TODAY).content_hash() != business.content_hash()


def test_a_later_day_moves_the_same_business_in_time(business):
    later = generate_business(today=TODAY + timedelta(days=10))
    assert later.counts() == business.counts()
    assert later.orders[0].placed_at == business.orders[0].placed_at + timedelta(days=10)
    assert later.orders[-1].amount == business.orders[-1].amount


def test_sizes_match_the_promise(business):
    assert len(business.customers) == 2400
    assert 23_000 <= len(business.orders) <= 27_000
    assert len(business.accounts) == 40
    assert len({a.name for a in business.accounts}) == 40
    per_account = Counter(c.account for c in business.contacts)
    assert set(per_account) == set(range(40))
    assert all(2 <= n <= 5 for n in per_account.values())
    assert len(business.interactions) >= 1500
    assert len(business.consents) == len(ConsentPurpose.values) * len(business.customers)
    assert {m.role for m in business.team} == {Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST}
    assert sum(m.role == Role.SUCCESS_MANAGER for m in business.team) == 4


def test_orders_span_three_years_and_every_quarter_has_a_cohort(business):
    placed = [o.placed_at for o in business.orders]
    assert START <= min(placed) < START + timedelta(days=30)
    assert END - timedelta(days=3) < max(placed) < END
    acquired_quarters = Counter((c.created_at - START).days // 92 for c in business.customers)
    assert set(acquired_quarters) == set(range(12))
    assert acquired_quarters[11] > acquired_quarters[0]  # a growing business


def test_each_customer_starts_with_a_completed_order_at_acquisition(business):
    for index, orders in orders_by_customer(business).items():
        first = min(orders, key=lambda o: o.placed_at)
        assert first.placed_at == business.customers[index].created_at
        assert first.status == OrderStatus.COMPLETED
    assert len(orders_by_customer(business)) == len(business.customers)


def test_amounts_are_cents_and_lines_add_up(business):
    assert all(
        o.amount >= Decimal("3.00") and o.amount.as_tuple().exponent == -2 for o in business.orders
    )
    statuses = Counter(o.status for o in business.orders)
    assert 0.01 < statuses[OrderStatus.REFUNDED] / len(business.orders) < 0.05
    assert 0.005 < statuses[OrderStatus.CANCELLED] / len(business.orders) < 0.03
    lines: dict[int, Decimal] = defaultdict(Decimal)
    for line in business.order_lines:
        assert line.quantity >= 1 and line.unit_price >= 0
        lines[line.order] += line.quantity * line.unit_price
    assert 0.25 < len(lines) / len(business.orders) < 0.45
    assert all(business.orders[order].amount == total for order, total in lines.items())


def test_no_order_after_the_true_dropout_which_is_the_last_order(business):
    grouped = orders_by_customer(business)
    dropped = 0
    for truth in business.truths:
        last = max(o.placed_at for o in grouped[truth.customer])
        if truth.dropped_out_at is not None:
            dropped += 1
            assert last == truth.dropped_out_at
            assert len(grouped[truth.customer]) >= 2  # BG/NBD: dropout follows a repeat purchase
        assert 0 < truth.dropout_probability < 1 and truth.purchases_per_year > 0
    assert 0.3 < dropped / len(business.truths) < 0.7


def test_alive_customers_buy_at_their_own_rate(business):
    """Given alive at T, BG/NBD repeat purchases are Poisson(lambda T (1 - p)): sum and compare."""
    grouped = orders_by_customer(business)
    observed = expected = 0.0
    for truth in business.truths:
        if truth.dropped_out_at is not None:
            continue
        age_days = (END - business.customers[truth.customer].created_at).total_seconds() / 86400
        rate_per_day = truth.purchases_per_year / 365.25
        observed += len(grouped[truth.customer]) - 1
        expected += rate_per_day * age_days * (1 - truth.dropout_probability)
    assert abs(observed - expected) / math.sqrt(expected) < 4


def test_the_planted_patterns_are_there(business):
    by_channel: dict[str, list[bool]] = defaultdict(list)
    for truth in business.truths:
        by_channel[business.customers[truth.customer].channel].append(
            truth.dropped_out_at is not None
        )
    paid_social = np.mean(by_channel["Paid social"])
    others = np.mean(
        [
            gone
            for channel, flags in by_channel.items()
            if channel != "Paid social"
            for gone in flags
        ]
    )
    assert paid_social > 1.3 * others
    rates = defaultdict(list)
    for truth in business.truths:
        rates[business.customers[truth.customer].channel == "Referral"].append(
            truth.purchases_per_year
        )
    assert np.mean(rates[True]) > 1.3 * np.mean(rates[False])
    complainers = {i.customer for i in business.interactions if i.kind == InteractionKind.COMPLAINT}
    gone = {t.customer for t in business.truths if t.dropped_out_at is not None}
    assert len(complainers & gone) / len(gone) > 3 * len(complainers - gone) / (
        len(business.customers) - len(gone)
    )
    spend = defaultdict(list)
    for order in business.orders:
        spend[business.customers[order.customer].category].append(float(order.amount))
    assert np.mean(spend["Home"]) < np.mean(spend["Office"]) < np.mean(spend["Enterprise"])


def test_contacts_have_different_roles_and_one_primary_decision_maker(business):
    roles: dict[int, list[str]] = defaultdict(list)
    for contact in business.contacts:
        roles[contact.account].append(contact.role)
        assert contact.is_primary == (contact.role == ContactRole.DECISION_MAKER)
    assert all(len(r) == len(set(r)) and ContactRole.DECISION_MAKER in r for r in roles.values())


def test_every_choice_is_one_the_models_accept(business):
    assert {a.size_band for a in business.accounts} <= set(SizeBand.values)
    assert {a.budget_band for a in business.accounts} <= set(BudgetBand.values)
    assert {c.role for c in business.contacts} <= set(ContactRole.values)
    assert {c.purpose for c in business.consents} == set(ConsentPurpose.values)
    assert {s.interval for s in business.subscriptions} <= set(BillingInterval.values)
    assert {o.status for o in business.orders} == set(OrderStatus.values)
    assert {i.kind for i in business.interactions} == set(InteractionKind.values)
    assert {i.status for i in business.interactions} == {"", *CaseStatus.values}


def test_cases_mostly_resolved_with_a_resolution_recent_ones_open(business):
    cases = [i for i in business.interactions if i.status]
    resolved = [i for i in cases if i.status == CaseStatus.RESOLVED]
    assert 0.85 < len(resolved) / len(cases) < 0.99
    assert all(i.resolution and i.occurred_at <= i.resolved_at < END for i in resolved)
    assert all(
        not i.resolution and i.resolved_at is None for i in cases if i.status != CaseStatus.RESOLVED
    )


def test_subscriptions_renew_or_end_with_a_reason(business):
    subscriptions = business.subscriptions
    assert len(subscriptions) > 150
    cancelled = [s for s in subscriptions if s.cancelled_at is not None]
    assert 0.2 < len(cancelled) / len(subscriptions) < 0.9
    assert all(s.cancellation_reason and s.started_at <= s.cancelled_at < END for s in cancelled)
    assert all(
        s.renews_at is not None and s.renews_at >= END
        for s in subscriptions
        if s.cancelled_at is None
    )
    assert {s.interval for s in subscriptions} == {BillingInterval.MONTH, BillingInterval.YEAR}


def test_smaller_businesses_for_quick_tests():
    small = generate_business(seed=3, today=TODAY, customers=200, accounts=5)
    assert len(small.customers) == 200 and len(small.accounts) == 5
    assert len({c.account for c in small.customers if c.account is not None}) == 5
    shop = generate_business(seed=3, today=TODAY, customers=50, accounts=0, years=1)
    assert not shop.accounts and all(c.account is None for c in shop.customers)
    assert min(o.placed_at for o in shop.orders) >= END - timedelta(days=366)


@pytest.mark.parametrize(
    "arguments",
    [{"customers": 0}, {"years": 0}, {"customers": 20, "accounts": 40}, {"accounts": 1000}],
)
def test_impossible_sizes_are_refused(arguments):
    with pytest.raises(ValueError):
        generate_business(today=TODAY, **arguments)


def test_the_email_history_follows_consent_and_fades_after_dropout(business):
    marketing = {c.customer for c in business.consents
                 if c.purpose == "email_marketing" and c.granted}  # fmt: skip
    newsletter = {c.customer for c in business.consents if c.purpose == "newsletter" and c.granted}
    assert business.messages and {m.customer for m in business.messages} <= marketing
    letters = [m for m in business.messages if m.stream == "relationship-newsletter"]
    assert letters and {m.customer for m in letters} <= newsletter
    end = datetime.combine(business.today, datetime.min.time(), UTC)  # the window's end
    for m in business.messages:
        assert m.opened_at is None or m.sent_at < m.opened_at
        assert m.clicked_at is None or (m.opened_at is not None and m.opened_at < m.clicked_at)
        assert m.sent_at < end and (m.opened_at or m.sent_at) < end
    dropped = {t.customer: t.dropped_out_at for t in business.truths if t.dropped_out_at}
    before = [m.opened_at is not None for m in business.messages
              if m.customer in dropped and m.sent_at < dropped[m.customer]]  # fmt: skip
    after = [m.opened_at is not None for m in business.messages
             if m.customer in dropped and m.sent_at >= dropped[m.customer]]  # fmt: skip
    # The same customers open less once they stopped buying (0.3 of their rate, by design).
    assert len(after) > 100 and sum(after) / len(after) < 0.6 * sum(before) / len(before)
