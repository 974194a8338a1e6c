"""The challenges' PURE rules (``tenure.domain.challenges``): hand-worked progress for each
kind, the rolling window's edges, the words shown, the refusals on their field; hypothesis:
progress never exceeds the target and completion is monotone as orders are added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.domain import challenges as rules

START = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
THREE_IN_60 = rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=3, window_days=60)


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def buy(n: float, amount: str = "50", *skus: str) -> rules.Purchase:
    return rules.Purchase(day(n), Decimal(amount), tuple(skus))


def test_three_orders_in_60_days_two_so_far_with_the_days_left():
    # Orders on days 10 and 29; now day 40: the window began at day 10, closes at day 70.
    found = rules.progress(THREE_IN_60, [buy(10), buy(29)], day(40))
    assert (found.current, found.target, found.completed_at) == (2, 3, None)
    assert (found.window_start, found.window_end) == (day(10), day(70))
    assert rules.days_left(found, day(40)) == 30
    assert rules.describe(THREE_IN_60, found, day(40)) == "2 of 3 orders, 30 days left"


def test_the_third_order_within_60_days_completes_at_its_moment():
    found = rules.progress(THREE_IN_60, [buy(10), buy(29), buy(70)], day(80))
    assert found.completed_at == day(70)  # exactly 60 days after the first: within
    assert (found.current, found.window_start) == (3, day(10))
    late = rules.progress(THREE_IN_60, [buy(10), buy(29), buy(70.5)], day(80))
    assert late.completed_at is None  # 60.5 days: the first order has left the window
    assert (late.current, late.window_start, late.window_end) == (2, day(29), day(89))


def test_a_later_window_completes_when_an_earlier_did_not():
    # 0, 50 (two in a window), 100, 105: 50-100-105 is three within 55 days.
    found = rules.progress(THREE_IN_60, [buy(0), buy(50), buy(100), buy(105)], day(200))
    assert (found.completed_at, found.window_start) == (day(105), day(50))


def test_orders_before_the_start_or_after_the_end_or_now_do_not_count():
    rule = rules.Rule(rules.Kind.ORDERS_COUNT, START, ends_at=day(30), target_count=2)
    found = rules.progress(rule, [buy(-1), buy(5), buy(31), buy(40)], day(50))
    assert (found.current, found.completed_at) == (1, None)
    assert rules.describe(rule, found, day(50)) == "ended before it was completed"
    assert rules.progress(rule, [buy(5), buy(6)], day(5.5)).current == 1  # day 6 is the future


def test_a_minimum_order_amount_skips_the_small_orders():
    rule = rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=2, min_amount=Decimal("40"))
    found = rules.progress(rule, [buy(1, "39.99"), buy(2, "40"), buy(3, "100")], day(4))
    assert found.completed_at == day(3)
    assert rules.describe(rule, rules.progress(rule, [buy(2, "40")], day(4)), day(4)) == (
        "1 of 2 orders"  # no window: no deadline
    )


def test_spend_within_a_window_sums_and_caps_at_the_target():
    rule = rules.Rule(rules.Kind.SPEND, START, target_amount=Decimal("200"), window_days=30)
    partial = rules.progress(rule, [buy(1, "80"), buy(20, "70.50")], day(25))
    assert partial.current == Decimal("150.50")
    assert rules.describe(rule, partial, day(25)) == "150.50 of 200.00 spent, 6 days left"
    # Day 32: the first 80 left the window (31 > 30 days), 70.50 + 100 = 170.50 short.
    short = rules.progress(rule, [buy(1, "80"), buy(20, "70.50"), buy(32, "100")], day(33))
    assert (short.current, short.completed_at) == (Decimal("170.50"), None)
    done = rules.progress(rule, [buy(1, "80"), buy(20, "70.50"), buy(25, "500")], day(33))
    assert (done.current, done.completed_at) == (Decimal("200"), day(25))


def test_a_new_product_line_needs_a_customer_who_never_bought_it():
    rule = rules.Rule(rules.Kind.NEW_PRODUCT_LINE, START, sku_prefix="TEA-")
    fresh = rules.progress(rule, [buy(-5, "10", "COF-1"), buy(3, "10", "tea-green")], day(4))
    assert fresh.completed_at == day(3)  # the prefix is compared case aside
    before = rules.progress(rule, [buy(-5, "10", "TEA-1"), buy(3, "10", "TEA-2")], day(4))
    assert (before.eligible, before.completed_at) == (False, None)
    assert rules.describe(rule, before, day(4)) == (
        "already bought this product line before the challenge"
    )
    waiting = rules.progress(rule, [buy(1, "10", "COF-1")], day(4))
    assert rules.describe(rule, waiting, day(4)) == "not yet tried"


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=0), "target_count"),
        (rules.Rule(rules.Kind.ORDERS_COUNT, START), "target_count"),
        (rules.Rule(rules.Kind.SPEND, START, target_amount=Decimal(0)), "target_amount"),
        (rules.Rule(rules.Kind.SPEND, START, target_amount=Decimal(5),
                    min_amount=Decimal(1)), "min_amount"),
        (rules.Rule(rules.Kind.NEW_PRODUCT_LINE, START, sku_prefix="  "), "sku_prefix"),
        (rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=2, window_days=0),
         "window_days"),
        (rules.Rule(rules.Kind.ORDERS_COUNT, START, ends_at=START, target_count=2), "ends_at"),
    ],
)  # fmt: skip
def test_a_rule_refused_names_its_field(rule, field):
    with pytest.raises(rules.ChallengeError) as refused:
        rules.rule_check(rule)
    assert refused.value.field == field


# --- properties ----------------------------------------------------------------------------

KINDS = st.sampled_from([
    rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=3, window_days=60),
    rules.Rule(rules.Kind.ORDERS_COUNT, START, target_count=2, min_amount=Decimal("30")),
    rules.Rule(rules.Kind.SPEND, START, target_amount=Decimal("120"), window_days=20),
    rules.Rule(rules.Kind.SPEND, START, ends_at=day(90), target_amount=Decimal("75")),
    rules.Rule(rules.Kind.NEW_PRODUCT_LINE, START, sku_prefix="TEA"),
])  # fmt: skip
PURCHASE = st.builds(
    lambda d, cents, tea: buy(d, f"{cents / 100:.2f}", "TEA-1" if tea else "COF-1"),
    st.floats(min_value=0, max_value=200, allow_nan=False),
    st.integers(min_value=0, max_value=10_000),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(KINDS, st.lists(PURCHASE, max_size=12), PURCHASE, st.floats(min_value=0, max_value=250))
def test_progress_stays_within_the_target_and_completion_is_monotone(rule, bought, more, now_at):
    now = day(now_at)
    before = rules.progress(rule, bought, now)
    after = rules.progress(rule, [*bought, more], now)
    for found in (before, after):
        assert Decimal(0) <= found.current <= found.target
        assert found.completed == (found.current == found.target)
    if before.completed:  # an order added never undoes a completion, nor delays it
        assert after.completed_at is not None and after.completed_at <= before.completed_at
