"""Properties of the points ledger over any sequence of earn, redeem, expire, refund, cancel
and adjust-down (Hypothesis): the balance equals the ledger's sum; expiry takes exactly the
lots whose moment has come, soonest first; a redemption never skips a sooner-expiring lot;
no lot's remainder leaves ``0..points`` and each is its points less its recorded uses; a debt
only while every lot is empty; a refund never reverses more than its order earned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.domain import loyalty as rules

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

earn_op = st.tuples(
    st.just("earn"),
    st.integers(1, 500),  # points
    st.one_of(st.none(), st.integers(1, 60)),  # lifetime in days (None: forever)
    st.integers(1, 200),  # the order's amount, whole units
)
redeem_op = st.tuples(st.just("redeem"), st.integers(1, 600))
wait_op = st.tuples(st.just("wait"), st.integers(0, 30))  # then expire
refund_op = st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100))  # which, %
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 20))
adjust_op = st.tuples(st.just("adjust_down"), st.integers(1, 300))
OPS = st.lists(st.one_of(earn_op, redeem_op, wait_op, refund_op, cancel_op, adjust_op), max_size=40)


class Ledger:
    """The wallet and its entries, as the loyalty app stores them."""

    def __init__(self, floor: int) -> None:
        self.wallet = rules.Wallet()
        self.floor = floor
        self.entries: list[int] = []
        self.uses: list[rules.Use] = []
        self.now = T0
        self.orders: dict[int, dict] = {}  # lot id -> earned, amount, refunded, reversed
        self.redemptions: list[tuple[rules.Use, ...]] = []
        self.cancelled: set[int] = set()

    def record(self, movement: rules.Movement) -> None:
        self.entries.append(movement.points)
        self.uses.extend(movement.uses)

    def step(self, op: tuple) -> None:
        kind = op[0]
        if kind == "earn":
            _, points, days, amount = op
            lot_id = len(self.orders) + 1
            expires = None if days is None else self.now + days * DAY
            self.record(rules.earn(self.wallet, rules.Lot(lot_id, points, points, self.now,
                                                          expires)))  # fmt: skip
            self.orders[lot_id] = {"earned": points, "amount": Decimal(amount),
                                   "refunded": Decimal(0), "reversed": 0}  # fmt: skip
        elif kind == "redeem":
            self.redeem(op[1])
        elif kind == "wait":
            self.now += op[1] * DAY
            self.expire()
        elif kind == "refund" and self.orders:
            order = self.orders[op[1] % len(self.orders) + 1]
            order["refunded"] = min(
                order["amount"], order["refunded"] + order["amount"] * op[2] / 100
            )
            due = rules.reversal_due(
                earned=order["earned"], amount=order["amount"], refunded=order["refunded"],
                reversed_before=order["reversed"],
            )  # fmt: skip
            moved = rules.reverse(
                self.wallet, due, order_lot_id=op[1] % len(self.orders) + 1, floor=self.floor,
                now=self.now,
            )  # fmt: skip
            assert moved.written_off + -moved.points == due
            order["reversed"] += due
            assert order["reversed"] <= order["earned"]
            self.record(moved)
        elif kind == "cancel" and self.redemptions:
            which = op[1] % len(self.redemptions)
            if which not in self.cancelled:
                self.cancelled.add(which)
                self.record(rules.restore(self.wallet, self.redemptions[which], self.now))
        elif kind == "adjust_down" and self.wallet.balance - op[1] >= self.floor:
            self.record(
                rules.reverse(self.wallet, op[1], order_lot_id=None, floor=self.floor, now=self.now)
            )

    def redeem(self, points: int) -> None:
        live = [lot for lot in self.wallet.lots.values() if lot.live(self.now) and lot.remaining]
        try:
            moved = rules.redeem(self.wallet, points, self.now)
        except rules.InsufficientPoints as refused:
            assert refused.balance < points
            return
        # Soonest expiry first: every lot it took from comes no later, in redemption order,
        # than every live lot it left with points.
        order = [lot.id for lot in rules.redemption_order(live)]
        touched = [order.index(use.lot_id) for use in moved.uses]
        assert touched == list(range(len(touched)))
        self.redemptions.append(moved.uses)
        self.record(moved)

    def expire(self) -> None:
        due = {
            lot.id for lot in self.wallet.lots.values()
            if lot.expires_at is not None and lot.expires_at <= self.now and lot.remaining > 0
        }  # fmt: skip
        done = rules.expire(self.wallet, self.now)
        assert {lot_id for lot_id, _ in done} == due
        expiries = [self.wallet.lots[lot_id].expires_at for lot_id, _ in done]
        assert expiries == sorted(expiries)  # soonest first
        for _, moved in done:
            self.record(moved)

    def check(self) -> None:
        wallet = self.wallet
        assert wallet.balance == sum(self.entries)
        used = rules.uses_by_lot(self.uses)
        for lot in wallet.lots.values():
            assert 0 <= lot.remaining <= lot.points
            assert lot.remaining == lot.points - used.get(lot.id, 0)
        assert wallet.debt >= 0
        if wallet.debt:
            assert all(lot.remaining == 0 for lot in wallet.lots.values())
        assert wallet.balance >= self.floor  # a reversal stops at the floor


@settings(max_examples=300, deadline=None)
@given(ops=OPS, floor=st.sampled_from([0, -50, -500]))
def test_any_sequence_keeps_the_ledger_whole(ops, floor):
    ledger = Ledger(floor)
    for op in ops:
        before = ledger.wallet.balance
        ledger.step(op)
        ledger.check()
        if op[0] == "redeem":
            assert ledger.wallet.balance >= 0 or ledger.wallet.balance == before
    assert ledger.wallet.balance == sum(ledger.entries)


@settings(max_examples=200, deadline=None)
@given(
    earned=st.integers(0, 10_000),
    amount=st.integers(1, 100_000),
    parts=st.lists(st.integers(1, 100), min_size=1, max_size=8),
)
def test_refunds_in_parts_reverse_exactly_what_the_order_earned(earned, amount, parts):
    total = Decimal(amount) / 100
    refunded = Decimal(0)
    reversed_ = 0
    share = Decimal(sum(parts))
    for part in parts:
        refunded += total * part / share
        due = rules.reversal_due(
            earned=earned, amount=total, refunded=min(refunded, total), reversed_before=reversed_
        )
        assert due >= 0
        reversed_ += due
        assert reversed_ <= earned
    full = rules.reversal_due(
        earned=earned, amount=total, refunded=total, reversed_before=reversed_
    )
    assert reversed_ + full == earned
