"""The points ledger's arithmetic (``tenure.domain.loyalty``), hand-worked cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tenure.domain import loyalty as rules

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def lot(lot_id: int, points: int, *, earned: int = 0, expires: int | None = 100) -> rules.Lot:
    return rules.Lot(
        lot_id, points, points, T0 + earned * DAY, None if expires is None else T0 + expires * DAY
    )


def test_points_for_rounds_as_the_program_says():
    assert rules.points_for(Decimal("12.99"), Decimal("1")) == 12
    assert rules.points_for(Decimal("12.50"), Decimal("1"), "half_up") == 13
    assert rules.points_for(Decimal("12.49"), Decimal("1"), "half_up") == 12
    assert rules.points_for(Decimal("19.99"), Decimal("2.5")) == 49  # 49.975 down
    assert rules.points_for(Decimal("0"), Decimal("3")) == 0


def test_points_for_stops_at_the_cap_after_rounding():
    assert rules.points_for(Decimal("1234.56"), Decimal("2"), cap=500) == 500
    assert rules.points_for(Decimal("249.99"), Decimal("2"), cap=500) == 499  # 499.98 down
    assert rules.points_for(Decimal("250.00"), Decimal("2"), cap=500) == 500
    assert rules.points_for(Decimal("250.00"), Decimal("2"), cap=None) == 500


def test_earn_100_redeem_80_refund_the_order_leaves_minus_80():
    wallet = rules.Wallet()
    rules.earn(wallet, lot(1, 100))
    spent = rules.redeem(wallet, 80, T0)
    assert spent == rules.Movement(-80, (rules.Use(1, 80),))
    due = rules.reversal_due(
        earned=100, amount=Decimal("100.00"), refunded=Decimal("100.00"), reversed_before=0
    )
    assert due == 100
    reversal = rules.reverse(wallet, due, order_lot_id=1, floor=-500, now=T0)
    # 20 left in the order's lot, the other 80 as debt: the balance is -80.
    assert reversal == rules.Movement(-100, (rules.Use(1, 20),), 80, 0)
    assert (wallet.balance, wallet.debt, wallet.lots[1].remaining) == (-80, 80, 0)


def test_redemption_takes_the_soonest_expiring_lots_first_ties_by_oldest_earn():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 50, earned=0, expires=None))  # never expires: last
    rules.earn(wallet, lot(2, 30, earned=5, expires=40))
    rules.earn(wallet, lot(3, 30, earned=2, expires=40))  # same expiry, earned earlier
    rules.earn(wallet, lot(4, 10, earned=9, expires=20))
    moved = rules.redeem(wallet, 60, T0)
    assert moved.uses == (rules.Use(4, 10), rules.Use(3, 30), rules.Use(2, 20))
    assert [wallet.lots[i].remaining for i in (1, 2, 3, 4)] == [50, 10, 0, 0]


def test_redemption_beyond_the_balance_says_both_numbers():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 40))
    with pytest.raises(rules.InsufficientPoints, match="balance 40, asked 80"):
        rules.redeem(wallet, 80, T0)
    assert wallet.balance == 40  # nothing taken


def test_redemption_ignores_lots_past_their_expiry_and_is_blocked_while_negative():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 40, expires=10))
    with pytest.raises(rules.InsufficientPoints, match="balance 0, asked 10"):
        rules.redeem(wallet, 10, T0 + 11 * DAY)
    in_debt = rules.Wallet({}, debt=30)
    with pytest.raises(rules.InsufficientPoints, match="balance -30, asked 1"):
        rules.redeem(in_debt, 1, T0)


def test_expiry_takes_only_each_lots_unspent_remainder():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 100, expires=10))
    rules.earn(wallet, lot(2, 50, expires=30))
    rules.redeem(wallet, 70, T0)  # 70 of lot 1
    done = rules.expire(wallet, T0 + 10 * DAY)
    assert done == [(1, rules.Movement(-30, (rules.Use(1, 30),)))]
    assert wallet.balance == 50
    assert rules.expire(wallet, T0 + 10 * DAY) == []  # nothing twice


def test_partial_refunds_floor_and_the_last_reverses_the_remainder():
    # An order of 30.00 earned 100 points: refunds of 10.00, 10.00 and 10.00.
    before = 0
    steps = []
    for refunded in ("10.00", "20.00", "30.00"):
        due = rules.reversal_due(
            earned=100, amount=Decimal("30.00"), refunded=Decimal(refunded), reversed_before=before
        )
        steps.append(due)
        before += due
    assert steps == [33, 33, 34]  # floor(33.3), floor(66.6) - 33, 100 - 66
    assert before == 100
    assert rules.reversal_due(
        earned=100, amount=Decimal("30.00"), refunded=Decimal("30.00"), reversed_before=100
    ) == 0  # fmt: skip


def test_reversal_stops_at_the_floor_and_writes_off_the_rest():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 100))
    rules.redeem(wallet, 100, T0)
    moved = rules.reverse(wallet, 100, order_lot_id=1, floor=-30, now=T0)
    assert (moved.points, moved.written_off, moved.debt_change) == (-30, 70, 30)
    assert wallet.balance == -30
    never_negative = rules.wallet_of([])
    rules.earn(never_negative, lot(2, 10))
    rules.redeem(never_negative, 10, T0)
    moved = rules.reverse(never_negative, 10, order_lot_id=2, floor=0, now=T0)
    assert (moved.points, moved.written_off, never_negative.balance) == (0, 10, 0)


def test_reversal_takes_the_orders_lot_then_the_others_before_any_debt():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 100, expires=50))
    rules.earn(wallet, lot(2, 50, expires=90))
    rules.redeem(wallet, 80, T0)  # from lot 1: 20 left
    moved = rules.reverse(wallet, 100, order_lot_id=1, floor=-500, now=T0)
    assert moved.uses == (rules.Use(1, 20), rules.Use(2, 50))
    assert (moved.debt_change, wallet.balance) == (30, -30)


def test_earning_in_debt_pays_the_debt_first():
    wallet = rules.Wallet({}, debt=80)
    moved = rules.earn(wallet, lot(5, 100))
    assert moved == rules.Movement(100, (rules.Use(5, 80),), -80)
    assert (wallet.balance, wallet.debt, wallet.lots[5].remaining) == (20, 0, 20)


def test_cancel_restores_the_original_lots_with_their_expiry():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 30, expires=10))
    rules.earn(wallet, lot(2, 50, expires=20))
    spent = rules.redeem(wallet, 60, T0)
    back = rules.restore(wallet, spent.uses, T0 + DAY)
    assert back == rules.Movement(60, (rules.Use(1, -30), rules.Use(2, -30)))
    assert [wallet.lots[i].remaining for i in (1, 2)] == [30, 50]
    assert wallet.lots[1].expires_at == T0 + 10 * DAY


def test_cancel_after_a_lot_expired_gives_back_only_the_live_lots_points():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 30, expires=10))
    rules.earn(wallet, lot(2, 50, expires=20))
    spent = rules.redeem(wallet, 60, T0)
    back = rules.restore(wallet, spent.uses, T0 + 15 * DAY)
    assert back.points == 30  # lot 1 expired meanwhile: its 30 would have expired
    assert wallet.balance == 50


def test_cancel_in_debt_pays_the_debt_first_from_the_soonest_expiring_share():
    wallet = rules.wallet_of([])
    rules.earn(wallet, lot(1, 100, expires=10))
    rules.earn(wallet, lot(2, 100, expires=20))
    spent = rules.redeem(wallet, 150, T0)  # 100 of lot 1, 50 of lot 2
    rules.reverse(wallet, 100, order_lot_id=2, floor=-500, now=T0)  # 50 from lot 2, 50 debt
    back = rules.restore(wallet, spent.uses, T0)
    assert back == rules.Movement(150, (rules.Use(1, -50), rules.Use(2, -50)), -50)
    assert (wallet.balance, wallet.debt) == (100, 0)
