"""The pure replay: moves dated when they happened, by hand-worked examples, and the same moves
whether the history is replayed at once or night after night."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.domain.lifecycle import preset_model
from tenure.domain.lifecycle.replay import lifecycle_replay
from tenure.domain.lifecycle.timeline import (
    BEFORE,
    DAY_MS,
    History,
    Series,
    facts_at,
    purchase_gaps,
)

D = int(DAY_MS)
T0 = 1_699_920_000_000  # midnight UTC; days below count from it
MODEL = preset_model("default")


def _history(orders: dict[int, list[float]], customers: int, **extra) -> History:
    position = np.array([c for c in sorted(orders) for _ in orders[c]], dtype=np.int64)
    time = np.array([T0 + int(day * D) for c in sorted(orders) for day in orders[c]], np.int64)
    days = (time // D).astype(np.float64)
    return History(
        customers=customers,
        orders=Series(position, time, days),
        created=np.full(customers, BEFORE, dtype=np.int64),
        median_gap_days=20.0,
        **extra,
    )


def _moves(replay, model=MODEL) -> list[tuple]:
    keys = np.array([*model.stage_keys, None], dtype=object)
    return [
        (int(r.customer), (r.at - T0) / D, keys[r.source], keys[r.target],
         model.rule_names[r.rule])
        for r in replay.moves.itertuples(index=False)
    ]  # fmt: skip


def _replay(history: History, now_day: float, **kwargs):
    n = history.customers
    return lifecycle_replay(
        MODEL, history, stage=kwargs.pop("stage", np.full(n, -1)),
        entered=kwargs.pop("entered", np.full(n, np.nan)),
        start=kwargs.pop("start", np.full(n, BEFORE)), now=T0 + int(now_day * D), **kwargs,
    )  # fmt: skip


def test_moves_are_dated_when_rules_on_the_clock_came_true():
    # Customer 0 buys on days 0, 30 and 60: their gap is 30 days, so at risk at 60 + 2 x 30
    # and churned at 60 + 3 x 30. Customer 1 buys once: the base's 20-day gap, onboarding over
    # on day 14, at risk on day 40, churned on day 60.
    replay = _replay(_history({0: [0, 30, 60], 1: [0]}, 2), 400)
    assert _moves(replay) == [
        (0, 0.0, None, "acquisition", "first_order"),
        (0, 14.0, "acquisition", "development", "onboarded"),
        (0, 30.0, "development", "retention", "repeat_purchase"),
        (0, 120.0, "retention", "at_risk", "slowing_down"),
        (0, 150.0, "at_risk", "churned", "gone_silent"),
        (1, 0.0, None, "acquisition", "first_order"),
        (1, 14.0, "acquisition", "development", "onboarded"),
        (1, 40.0, "development", "at_risk", "slowing_down"),
        (1, 60.0, "at_risk", "churned", "gone_silent"),
    ]
    reasons = replay.moves["reason"].tolist()
    assert reasons[3].startswith("No order for 60 days; their usual gap is 30 days")
    assert reasons[8].startswith("No order for 60 days; their usual gap is 20 days")
    assert list(replay.stage) == [MODEL.stage_code("churned")] * 2
    assert list((replay.entered - T0) / D) == [150.0, 60.0]


def test_nothing_after_now_and_a_later_order_wins_the_customer_back():
    history = _history({0: [0, 30, 60, 200]}, 1)
    early = _replay(history, 130)  # day 120 came, day 150 not yet
    assert [m[1:] for m in _moves(early)][-1] == (120.0, "retention", "at_risk", "slowing_down")
    later = _replay(history, 300)
    assert [m[1:] for m in _moves(later)][-2:] == [
        (150.0, "at_risk", "churned", "gone_silent"),
        (200.0, "churned", "won_back", "won_back"),
    ]


def _population(n: int, seed: int) -> History:
    rng = np.random.default_rng(seed)
    orders = {}
    for c in range(n):
        count = int(rng.integers(0, 8))
        orders[c] = sorted(rng.uniform(0, 900, count).round(3).tolist())
    cancels = rng.random(n) < 0.1
    starts = np.flatnonzero(cancels)
    subscription_starts = Series(
        starts, T0 + (rng.uniform(0, 300, starts.size) * D).astype(np.int64)
    )
    subscription_cancels = Series(
        starts, subscription_starts.time + (rng.uniform(10, 400, starts.size) * D).astype(np.int64)
    )
    complainers = np.sort(rng.choice(n, n // 10, replace=False))
    opened = np.repeat(complainers, 2)
    opened_at = T0 + (rng.uniform(0, 900, opened.size) * D).astype(np.int64)
    order = np.lexsort((opened_at, opened))
    history = _history(
        orders, n,
        subscription_starts=subscription_starts, subscription_cancels=subscription_cancels,
        cases_opened=Series(opened[order], opened_at[order]),
    )  # fmt: skip
    history.created = np.where(
        rng.random(n) < 0.5, T0 + (rng.uniform(0, 900, n) * D).astype(np.int64), BEFORE
    )
    return history


@pytest.mark.parametrize("seed", [1, 2])
def test_night_after_night_gives_the_moves_of_one_replay(seed):
    """The nightly path (each run from where the last one ended) and a replay of the whole
    history at once date the same moves at the same moments: live and replay agree."""
    n = 400
    history = _population(n, seed)
    whole = _replay(history, 1000)
    stage, entered = np.full(n, -1), np.full(n, np.nan)
    start = np.full(n, BEFORE, dtype=np.int64)
    pieces = []
    for night in [*range(0, 1000, 7), 1000]:
        night_ms = T0 + night * D
        part = _replay(history, night, stage=stage, entered=entered, start=start)
        pieces.append(part.moves)
        stage, entered = part.stage, part.entered
        start = np.full(n, night_ms, dtype=np.int64)
    nightly = pd.concat(pieces, ignore_index=True).sort_values(
        ["customer", "at", "step"], kind="stable", ignore_index=True
    )
    columns = ["customer", "at", "step", "source", "target", "rule", "reason"]
    pd.testing.assert_frame_equal(nightly[columns], whole.moves[columns])
    assert len(whole.moves) > 3 * n  # the histories move people a lot
    assert {"cancelled", "complaints", "won_back", "lead"} <= {
        MODEL.rule_names[r] for r in whole.moves["rule"]
    }


def test_facts_at_each_customers_own_moment():
    history = _history({0: [0, 0.5, 10, 40], 2: [5]}, 3)
    moments = np.array([T0 + 10 * D, T0 + 100 * D, T0 + 4 * D, T0 + 20 * D], dtype=np.int64)
    facts = facts_at(
        history, np.array([0, 0, 2, 2]), moments, np.full(4, np.nan),
        frozenset({"orders_count", "days_since_last_order", "typical_gap_days", "is_lead",
                   "first_order_days_ago"}),
    )  # fmt: skip
    columns = facts.columns
    assert columns["orders_count"].tolist() == [3, 4, 0, 1]
    assert columns["days_since_last_order"][[0, 1, 3]].tolist() == [0.0, 60.0, 15.0]
    assert np.isnan(columns["days_since_last_order"][2])
    # purchase days 0, 10 (0.5 is the same day): (10 - 0) / 1; then 0, 10, 40: 40 / 2
    assert columns["typical_gap_days"][:2].tolist() == [10.0, 20.0]
    assert columns["typical_gap_days"][3] == 20.0  # one purchase day: the base's gap
    assert columns["is_lead"].tolist() == [False, False, True, False]
    assert purchase_gaps(history.orders, 3).tolist() == [20.0]
