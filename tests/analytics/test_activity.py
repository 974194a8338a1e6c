"""The activity rule and retention counts, worked by hand (pure: runs with -p no:django)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tenure.analytics.activity import (
    ActivityRule,
    PurchaseLog,
    retention_counts,
    snapshot,
)
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.metrics import churn_rate, retention_rate

INF = math.inf


# -- the rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"kind": "silence"}, "kind"),
        ({"gap_multiple": 0}, "gap_multiple"),
        ({"gap_multiple": math.nan}, "gap_multiple"),
        ({"p_alive_threshold": 1.0}, "p_alive_threshold"),
        ({"p_alive_threshold": 0}, "p_alive_threshold"),
        ({"days": 0}, "days"),
        ({"days": 30.5}, "days"),
        ({"days": True}, "days"),
    ],
)
def test_a_rule_with_impossible_settings_is_refused_naming_the_setting(fields, name):
    with pytest.raises(InvalidInputError) as error:
        ActivityRule(**fields)
    assert error.value.name == name


def test_each_rule_describes_itself_in_a_sentence():
    gap = ActivityRule(gap_multiple=3)
    times = "\N{MULTIPLICATION SIGN}"
    assert gap.describe(median_gap_days=41) == (
        f"Lost after no order for 3 {times} the customer's own typical gap between orders "
        f"(customers with one order: 3 {times} the median gap of 41 days = 123 days). "
        "Customers with a subscription are active until it is cancelled."
    )
    assert "so 365 days" in gap.describe()  # no repeat buyer to take a median from
    assert (
        ActivityRule(kind="fixed_days", days=90)
        .describe()
        .startswith("Lost after no order for 90 days.")
    )
    assert "below 0.25" in ActivityRule(kind="p_alive", p_alive_threshold=0.25).describe()


def test_gap_multiple_loses_a_customer_once_the_silence_reaches_k_times_their_gap():
    rule = ActivityRule(gap_multiple=3)
    # gaps 10 and 30 days; one customer with a single order takes 3 x the median 40 = 120
    active = rule.is_active(
        [29, 30, 89, 90, 119, 120], [10, 10, 30, 30, np.nan, np.nan], median_gap_days=40
    )
    assert active.tolist() == [True, False, True, False, True, False]


def test_single_order_customers_fall_back_to_the_fixed_days_without_a_median():
    rule = ActivityRule(gap_multiple=3, days=200)
    assert rule.is_active([199, 200], [np.nan, np.nan]).tolist() == [True, False]


def test_fixed_days_and_p_alive_rules():
    assert ActivityRule(kind="fixed_days", days=365).is_active([0, 364, 365]).tolist() == [
        True,
        True,
        False,
    ]
    rule = ActivityRule(kind="p_alive", p_alive_threshold=0.3)
    assert rule.is_active([5, 5, 5], p_alive=[0.29, 0.3, 0.9]).tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("rule", "args", "name"),
    [
        (ActivityRule(), ([-1], [10]), "last_order_age_days"),
        (ActivityRule(), ([1], [0]), "typical_gap_days"),
        (ActivityRule(), ([1], None), "typical_gap_days"),
        (ActivityRule(), ([1, 2], [10]), "typical_gap_days"),
        (ActivityRule(kind="p_alive"), ([1], None, None), "p_alive"),
        (ActivityRule(kind="p_alive"), ([1], None, [1.5]), "p_alive"),
        (ActivityRule(kind="p_alive"), ([1], None, [np.nan]), "p_alive"),
    ],
)
def test_bad_inputs_to_the_rule_get_a_clear_error(rule, args, name):
    with pytest.raises(InvalidInputError) as error:
        rule.is_active(*args)
    assert error.value.name == name


# -- a population at a date -------------------------------------------------------------------
def test_a_snapshot_takes_the_typical_gap_from_distinct_purchase_days():
    # customer 0: days 0, 10, 20 (gap 10); 1: one order; 2: two orders on day 0 and one on 40
    # (gap 40, not 20); the median gap of the repeat buyers is 25, so customer 1 has 75 days.
    log = PurchaseLog.of(3, [0, 0, 0, 1, 2, 2, 2], [0, 10, 20, 0, 0, 0, 40])
    rule = ActivityRule(gap_multiple=3)
    at_49, at_50 = snapshot(log, 49, rule), snapshot(log, 50, rule)
    assert at_49.median_gap_days == 25
    assert at_49.active.tolist() == [True, True, True]
    assert at_50.active.tolist() == [False, True, True]
    assert snapshot(log, 75, rule).active.tolist() == [False, False, True]
    assert snapshot(log, 159, rule).active.tolist() == [False, False, True]
    assert snapshot(log, 160, rule).active.tolist() == [False, False, False]


def test_orders_on_or_after_the_boundary_do_not_count_yet():
    log = PurchaseLog.of(2, [0, 1], [10, 10])
    before = snapshot(log, 10, ActivityRule(kind="fixed_days", days=5))
    after = snapshot(log, 11, ActivityRule(kind="fixed_days", days=5))
    assert before.acquired.tolist() == [False, False]
    assert after.acquired.tolist() == [True, True] and after.active.tolist() == [True, True]
    assert before.median_gap_days is None


def _domain_example() -> PurchaseLog:
    """DOMAIN.md's S = 20, N = 5, 1 lost, as orders over the period [day 100, day 189]."""
    customers, days = [], []
    for c in range(20):  # active at the start (last order 5 days before), 19 buy again
        customers += [c, c]
        days += [90, 95]
        if c != 0:
            customers.append(c)
            days.append(170)
    for c in range(20, 25):  # new in the period, active at its end
        customers.append(c)
        days.append(180)
    customers += [25, 25, 26]  # lost long before the period; new in it but lost by its end
    days += [10, 20, 110]
    return PurchaseLog.of(27, customers, days)


def test_the_domain_example_gives_95_percent_retention_and_5_percent_churn():
    rule = ActivityRule(kind="fixed_days", days=30)
    log = _domain_example()
    counts = retention_counts(snapshot(log, 100, rule), snapshot(log, 190, rule))
    assert (counts.start, counts.end, counts.acquired, counts.lost) == (20, 24, 5, 1)
    assert (counts.new, counts.won_back) == (5, 0)
    assert retention_rate(counts.start, counts.end, counts.acquired) == 95.0
    assert churn_rate(counts.start, counts.lost) == 5.0


def test_the_second_domain_example_gives_70_45_percent_with_the_gap_rule():
    # 44 weekly buyers at the start, 13 of them stop; 12 new weekly buyers join.
    customers, days = [], []
    for c in range(44):
        last = 100 if c < 13 else 200
        for day in range(30, last + 1, 7):
            customers.append(c)
            days.append(day)
    for c in range(44, 56):
        customers += [c, c]
        days += [180, 187]
    log = PurchaseLog.of(56, customers, days)
    rule = ActivityRule(gap_multiple=3)
    counts = retention_counts(snapshot(log, 101, rule), snapshot(log, 201, rule))
    assert (counts.start, counts.end, counts.acquired, counts.lost) == (44, 43, 12, 13)
    assert round(retention_rate(counts.start, counts.end, counts.acquired), 2) == 70.45


def test_a_won_back_customer_joins_n_so_retention_never_exceeds_100():
    rule = ActivityRule(kind="fixed_days", days=30)
    # 0: active throughout; 1: lost before the start, buys again in the period
    log = PurchaseLog.of(2, [0, 0, 1, 1], [95, 150, 10, 150])
    counts = retention_counts(snapshot(log, 100, rule), snapshot(log, 160, rule))
    assert (counts.start, counts.end, counts.acquired, counts.lost) == (1, 2, 1, 0)
    assert (counts.new, counts.won_back) == (0, 1)
    assert retention_rate(counts.start, counts.end, counts.acquired) == 100.0


def test_subscribers_are_active_until_their_cancellation_whatever_their_orders():
    rule = ActivityRule(kind="fixed_days", days=30)
    log = PurchaseLog.of(
        4,
        [1, 3],
        [0, 95],
        contract_customer=[0, 1, 2, 2],
        contract_start=[0, 0, 0, 50],
        contract_end=[INF, INF, 120, 130],
    )
    start, end = snapshot(log, 100, rule), snapshot(log, 131, rule)
    # 0 never ordered; 1's last order is 100 days old; 2 cancels both by day 130; 3 buys only
    assert start.active.tolist() == [True, True, True, True]
    assert end.active.tolist() == [True, True, False, False]
    assert snapshot(log, 130, rule).active.tolist() == [True, True, True, False]
    counts = retention_counts(start, end)
    assert (counts.start, counts.end, counts.lost) == (4, 2, 2)


def test_the_p_alive_rule_asks_the_model_at_the_boundary():
    seen = {}

    def model(x, t_x, T):
        seen.update(x=x.tolist(), t_x=t_x.tolist(), T=T.tolist())
        return np.where(x > 1, 0.2, 0.9)

    log = PurchaseLog.of(2, [0, 0, 0, 0, 1], [0, 10, 10, 30, 40])
    shot = snapshot(log, 51, ActivityRule(kind="p_alive"), p_alive=model)
    assert seen == {"x": [2.0, 0.0], "t_x": [30.0, 0.0], "T": [50.0, 10.0]}
    assert shot.active.tolist() == [False, True]
    with pytest.raises(InvalidInputError):
        snapshot(log, 51, ActivityRule(kind="p_alive"))


def test_an_empty_population_has_nobody_to_count():
    log = PurchaseLog.of(0, [], [])
    counts = retention_counts(snapshot(log, 0, ActivityRule()), snapshot(log, 10, ActivityRule()))
    assert (counts.start, counts.end, counts.acquired, counts.lost) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_customers": 1, "order_customer": [1], "order_day": [0]}, "order_customer"),
        ({"n_customers": 1, "order_customer": [0], "order_day": [0.5]}, "order_day"),
        ({"n_customers": 1, "order_customer": [0], "order_day": [np.nan]}, "order_day"),
        ({"n_customers": 1, "order_customer": [0, 0], "order_day": [0]}, "order_day"),
        (
            {
                "n_customers": 1,
                "order_customer": [],
                "order_day": [],
                "contract_customer": [0],
                "contract_start": [5],
                "contract_end": [4],
            },
            "contract_end",
        ),
    ],
)
def test_a_bad_purchase_log_is_refused(kwargs, name):
    n = kwargs.pop("n_customers")
    with pytest.raises(InvalidInputError) as error:
        PurchaseLog.of(n, **kwargs)
    assert error.value.name == name


def test_retention_counts_refuse_snapshots_out_of_order():
    log = PurchaseLog.of(1, [0], [0])
    with pytest.raises(InvalidInputError):
        retention_counts(snapshot(log, 10, ActivityRule()), snapshot(log, 5, ActivityRule()))
