"""The tier rule, worked by hand: lifetime, calendar year (qualify this year, keep it through
the next) and a rolling window; the settings' checks; and the property that a tier drops only
at a review (a new year, a new day for the rolling window), never between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.domain.loyalty_tiers import (
    Amount,
    Basis,
    Period,
    Rule,
    Tier,
    TierError,
    decide,
    period_start,
    tier_of,
    tiers_check,
)

SILVER = Tier(1, "Silver", Decimal(500), Decimal("1.25"))
GOLD = Tier(2, "Gold", Decimal(1000), Decimal("1.5"))
TIERS = [SILVER, GOLD]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def amounts(*pairs: tuple[datetime, int]) -> list[Amount]:
    return [Amount(moment, Decimal(value)) for moment, value in pairs]


def test_lifetime_counts_everything_and_never_lowers():
    rule = Rule(period=Period.LIFETIME)
    history = amounts((at(2024, 3, 1), 300), (at(2025, 6, 1), 300))
    first = decide(tiers=TIERS, rule=rule, amounts=history, current=None, reviewed_from=None,
                   now=at(2025, 6, 2))  # fmt: skip
    assert (first.tier, first.direction, first.qualifying) == (SILVER, "up", Decimal(600))
    assert first.reason == "qualified for Silver: 600 points earned in all (threshold 500)"
    assert first.may_drop_at is None and first.reviewed_from is None
    refunded = [*history, Amount(at(2025, 6, 1), Decimal(-200))]  # 400 left, below Silver
    later = decide(tiers=TIERS, rule=rule, amounts=refunded, current=SILVER,
                   reviewed_from=None, now=at(2030, 1, 1))  # fmt: skip
    assert (later.tier, later.direction) == (SILVER, None)


def test_calendar_year_qualify_this_year_keep_it_through_the_next():
    rule = Rule(period=Period.CALENDAR_YEAR)
    history = amounts((at(2026, 3, 1), 600), (at(2026, 12, 20, 15), 500))
    # Dec 20: 1,100 this year reaches Gold at once; kept until the review of January 2028.
    up = decide(tiers=TIERS, rule=rule, amounts=history, current=None, reviewed_from=None,
                now=at(2026, 12, 20, 16))  # fmt: skip
    assert (up.tier, up.direction, up.qualifying) == (GOLD, "up", Decimal(1100))
    assert up.reason == "qualified for Gold: 1,100 points earned in 2026 (threshold 1,000)"
    assert (up.reviewed_from, up.may_drop_at) == (at(2026, 1, 1), at(2028, 1, 1))
    # January 1st 2027: the review keeps what 2026 earned.
    kept = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2026, 1, 1), now=at(2027, 1, 1, 3))  # fmt: skip
    assert (kept.tier, kept.direction, kept.reviewed_from) == (GOLD, None, at(2027, 1, 1))
    assert kept.reason == "kept at the review: 1,100 points earned in 2026, 0 points earned in 2027"
    assert kept.may_drop_at == at(2028, 1, 1)
    # December 31st 2027, nothing earned in 2027: still Gold (reviewed this period already).
    still = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                   reviewed_from=at(2027, 1, 1), now=at(2027, 12, 31, 23))  # fmt: skip
    assert (still.tier, still.direction) == (GOLD, None)
    # January 1st 2028: 2027 earned nothing: below every tier.
    down = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2027, 1, 1), now=at(2028, 1, 1, 3))  # fmt: skip
    assert (down.tier, down.direction, down.may_drop_at) == (None, "down", None)
    assert down.reason == (
        "the 2028 review: 0 points earned in 2027, 0 points earned in 2028, below Gold's 1,000"
    )


def test_calendar_review_drops_to_what_last_year_earned():
    rule = Rule(period=Period.CALENDAR_YEAR)
    history = amounts((at(2026, 5, 1), 1200), (at(2027, 4, 1), 700))
    down = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2027, 1, 1), now=at(2028, 1, 1))  # fmt: skip
    assert (down.tier, down.direction, down.qualifying) == (SILVER, "down", Decimal(700))
    assert down.reason.endswith("below Gold's 1,000; Silver kept")
    assert down.may_drop_at == at(2029, 1, 1)  # 2027's Silver is held through 2028


def test_a_refund_mid_year_lowers_the_amount_never_the_tier():
    rule = Rule(period=Period.CALENDAR_YEAR)
    history = amounts((at(2027, 2, 1), 1200), (at(2027, 2, 1), -1200))  # the order refunded
    held = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2027, 1, 1), now=at(2027, 6, 1))  # fmt: skip
    assert (held.tier, held.direction, held.qualifying) == (GOLD, None, Decimal(0))
    assert held.reason == "unchanged: 0 points earned in 2026, 0 points earned in 2027"
    assert held.may_drop_at == at(2028, 1, 1)  # 2027 no longer holds it: the next review


def test_rolling_window_rises_at_once_and_drops_the_day_it_no_longer_qualifies():
    rule = Rule(period=Period.ROLLING, window_days=30)
    history = amounts((at(2027, 1, 1, 10), 600), (at(2027, 1, 10, 10), 500))
    up = decide(tiers=TIERS, rule=rule, amounts=history, current=None, reviewed_from=None,
                now=at(2027, 1, 10, 12))  # fmt: skip
    assert (up.tier, up.direction, up.qualifying) == (GOLD, "up", Decimal(1100))
    # The 600 of Jan 1 10:00 leaves (d - 30 days, d] at d = Jan 31 10:00: the first day's
    # start at or after it is Feb 1.
    assert up.may_drop_at == at(2027, 2, 1)
    kept = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2027, 1, 10), now=at(2027, 1, 31, 3))  # fmt: skip
    assert (kept.tier, kept.direction) == (GOLD, None)
    down = decide(tiers=TIERS, rule=rule, amounts=history, current=GOLD,
                  reviewed_from=at(2027, 1, 31), now=at(2027, 2, 1, 3))  # fmt: skip
    assert (down.tier, down.direction, down.qualifying) == (SILVER, "down", Decimal(500))
    assert down.reason == (
        "the 30-day window moved: 500 points earned in the last 30 days, below Gold's 1,000; "
        "Silver kept"
    )


def test_spend_is_said_in_money():
    rule = Rule(basis=Basis.SPEND, period=Period.LIFETIME)
    up = decide(tiers=TIERS, rule=rule, amounts=[Amount(at(2027, 1, 1), Decimal("512.40"))],
                current=None, reviewed_from=None, now=at(2027, 1, 2))  # fmt: skip
    assert up.reason == "qualified for Silver: spent 512.40 in all (threshold 500)"


def test_amounts_after_now_do_not_count():
    rule = Rule(period=Period.LIFETIME)
    found = decide(tiers=TIERS, rule=rule, amounts=amounts((at(2027, 5, 1), 5000)),
                   current=None, reviewed_from=None, now=at(2027, 4, 30))  # fmt: skip
    assert found.tier is None and found.direction is None


def test_tier_settings_are_checked_naming_the_field():
    with pytest.raises(TierError) as rising:
        tiers_check([GOLD, SILVER])
    assert rising.value.field == "tiers[1].threshold"
    with pytest.raises(TierError) as twice:
        tiers_check([SILVER, Tier(0, "silver", Decimal(900))])
    assert twice.value.field == "tiers[1].name"
    with pytest.raises(TierError) as less:
        tiers_check([Tier(0, "Bronze", Decimal(10), Decimal("0.5"))])
    assert less.value.field == "tiers[0].multiplier"
    assert tiers_check(TIERS) == TIERS
    assert tier_of(Decimal(999), TIERS) == SILVER and tier_of(Decimal(1000), TIERS) == GOLD


# --- the property: a tier drops only at a review ----------------------------------------------

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=24 * 200),  # hours until this step
        st.integers(min_value=-800, max_value=1500),  # an amount counted (below 0: a refund)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(steps=steps, period=st.sampled_from(list(Period)), window=st.integers(1, 90))
def test_a_tier_drops_only_when_a_review_comes(steps, period, window):
    rule = Rule(period=period, window_days=window)
    now = at(2026, 11, 1)
    history: list[Amount] = []
    current, reviewed_from = None, None
    for hours, value in steps:
        before_start = reviewed_from
        now += timedelta(hours=hours)
        if value:
            history.append(Amount(now, Decimal(value)))
        decision = decide(tiers=TIERS, rule=rule, amounts=history, current=current,
                          reviewed_from=reviewed_from, now=now)  # fmt: skip
        start = period_start(rule, now)
        if decision.direction == "down":
            assert period != Period.LIFETIME
            assert before_start is None or (start is not None and start > before_start)
            if period == Period.ROLLING:  # the window, moved, no longer qualifies
                in_window = sum(
                    (a.value for a in history if now - timedelta(days=window) < a.at <= now),
                    Decimal(0),
                )
                assert decision.tier == tier_of(in_window, TIERS)
        # Upgrades at once: never below what the current amounts earn.
        if period != Period.CALENDAR_YEAR:
            cutoff = now - timedelta(days=window) if period == Period.ROLLING else None
            now_total = sum(
                (a.value for a in history if (cutoff is None or a.at > cutoff) and a.at <= now),
                Decimal(0),
            )
            earned = tier_of(now_total, TIERS)
            assert (decision.tier.threshold if decision.tier else -1) >= (
                earned.threshold if earned else -1
            )
        current, reviewed_from = decision.tier, decision.reviewed_from
