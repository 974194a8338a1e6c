"""PURE: the points ledger's arithmetic (issue 17). No Django: the loyalty app loads a
customer's wallet, asks here what a movement does, and stores the answer as ledger rows.

A wallet is the customer's lots (each earn is a lot: its points, what is left of them, when
it was earned and when it expires) and a ``debt``: points spent that a later reversal took
back when no lot held enough. The balance is ``sum(remaining) - debt``, and the rules below
keep ``debt > 0`` only while every lot is empty, so a reconciliation can check
``balance == sum(remaining) + min(balance, 0)``.

The rules, each a function returning a :class:`Movement` (the balance's signed change, the
lots it took from or gave back to, the debt's change) and applying it to the wallet:

- ``earn``: a new lot; while in debt its points pay the debt first (recorded as a use of the
  new lot, so ``remaining == points - uses`` holds for every lot).
- ``redeem``: never while the balance is negative, never more than the live lots hold
  (``InsufficientPoints``: "balance 40, asked 80"); takes from the soonest-expiring lots first,
  ties by the oldest earn, then by id; a lot that never expires comes last.
- ``expire``: each lot whose moment has come gives up its unspent remainder, nothing more.
- ``reversal_due``: what a refund reverses, from the points the order earned as recorded:
  the cumulative target is ``floor(earned * refunded / amount)`` (the floor of the
  proportional points), and a full refund's target is all of ``earned``, so partial refunds
  followed by the last one always reverse exactly what the order earned.
- ``reverse``: takes the points from the order's own lot first, then from the other lots in
  redemption order, then as debt; the balance may go negative down to ``floor`` and no
  further: the part beyond is *written off*, recorded on the entry (never silently clamped).
- ``restore`` (a redemption cancelled): the points go back to the lots the redemption took
  them from, with their original expiry; while in debt they pay the debt first (from the lots
  that expire soonest), and points of a lot whose expiry has passed are not given back (they
  would have expired).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

ROUNDINGS = {"floor": ROUND_FLOOR, "half_up": ROUND_HALF_UP}
"""How an order's amount times the points per currency unit becomes whole points."""


class LoyaltyError(ValueError):
    """A movement the rules refuse; ``field`` names what the caller asked wrongly."""

    def __init__(self, message: str, *, field: str = "points") -> None:
        super().__init__(message)
        self.field = field


class InsufficientPoints(LoyaltyError):
    def __init__(self, *, balance: int, asked: int) -> None:
        super().__init__(f"balance {balance}, asked {asked}")
        self.balance = balance
        self.asked = asked


@dataclass
class Lot:
    id: int
    points: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True)
class Use:
    """``points`` taken from lot ``lot_id`` (negative: given back to it)."""

    lot_id: int
    points: int


@dataclass(frozen=True)
class Movement:
    points: int  # the balance's signed change
    uses: tuple[Use, ...] = ()
    debt_change: int = 0
    written_off: int = 0  # a reversal's points beyond the floor


@dataclass
class Wallet:
    lots: dict[int, Lot] = field(default_factory=dict)
    debt: int = 0

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots.values()) - self.debt

    def available(self, now: datetime) -> int:
        """What a redemption may take now: the live lots' points, none while in debt."""
        if self.debt:
            return -self.debt
        return sum(lot.remaining for lot in self.lots.values() if lot.live(now))

    def apply(self, movement: Movement) -> Movement:
        for use in movement.uses:
            lot = self.lots[use.lot_id]
            lot.remaining -= use.points
            if not 0 <= lot.remaining <= lot.points:
                raise AssertionError(f"lot {lot.id} would hold {lot.remaining} of {lot.points}")
        self.debt += movement.debt_change
        if self.debt < 0:
            raise AssertionError("a debt below zero")
        return movement


def points_for(
    amount: Decimal, per_unit: Decimal, rounding: str = "floor", cap: int | None = None
) -> int:
    """The points an order of ``amount`` earns: ``amount x per_unit``, rounded, at most
    ``cap`` (the program's most points for one order, the tier's multiplier included)."""
    if amount < 0 or per_unit < 0:
        raise LoyaltyError("an amount and a rate of 0 or more", field="amount")
    exact = Decimal(amount) * Decimal(per_unit)
    points = int(exact.to_integral_value(rounding=ROUNDINGS[rounding]))
    return points if cap is None else min(points, cap)


def redemption_order(lots: Iterable[Lot]) -> list[Lot]:
    """Soonest expiry first (never-expiring last), ties by the oldest earn, then by id."""
    return sorted(
        lots,
        key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.earned_at, lot.earned_at,
                         lot.id),
    )  # fmt: skip


def _take(lots: Iterable[Lot], points: int) -> tuple[list[Use], int]:
    """Take up to ``points`` from ``lots`` in their order; (uses, what was left to take)."""
    uses = []
    for lot in lots:
        if points <= 0:
            break
        taken = min(lot.remaining, points)
        if taken > 0:
            uses.append(Use(lot.id, taken))
            points -= taken
    return uses, points


def _positive(points: int) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LoyaltyError("a whole number of points above 0")


def earn(wallet: Wallet, lot: Lot) -> Movement:
    """Add ``lot`` (its ``remaining`` equal to its ``points``); pays the debt first."""
    _positive(lot.points)
    if lot.id in wallet.lots:
        raise LoyaltyError(f"lot {lot.id} is there already", field="lot")
    lot.remaining = lot.points
    wallet.lots[lot.id] = lot
    paid = min(wallet.debt, lot.points)
    uses = (Use(lot.id, paid),) if paid else ()
    return wallet.apply(Movement(lot.points, uses, -paid))


def redeem(wallet: Wallet, points: int, now: datetime) -> Movement:
    """Take ``points`` from the live lots, soonest expiry first."""
    _positive(points)
    available = wallet.available(now)
    if available < points:
        raise InsufficientPoints(balance=available, asked=points)
    live = [lot for lot in wallet.lots.values() if lot.live(now) and lot.remaining > 0]
    uses, left = _take(redemption_order(live), points)
    assert left == 0  # available covered it
    return wallet.apply(Movement(-points, tuple(uses)))


def expire(wallet: Wallet, now: datetime) -> list[tuple[int, Movement]]:
    """Each lot whose expiry has come gives up its remainder: (lot id, movement) per lot, in
    expiry order."""
    due = [
        lot for lot in wallet.lots.values()
        if lot.expires_at is not None and lot.expires_at <= now and lot.remaining > 0
    ]  # fmt: skip
    done = []
    for lot in redemption_order(due):
        done.append((lot.id, wallet.apply(Movement(-lot.remaining, (Use(lot.id, lot.remaining),)))))
    return done


def reversal_due(*, earned: int, amount: Decimal, refunded: Decimal, reversed_before: int) -> int:
    """The points a refund reverses now: the cumulative target ``floor(earned x refunded /
    amount)`` (all of ``earned`` once ``refunded >= amount``), less what earlier refunds of
    the order reversed (or wrote off). Never negative: a refund never gives points back."""
    if earned <= 0:
        return 0
    if amount <= 0 or refunded >= amount:
        target = earned
    else:
        target = int((Decimal(earned) * max(refunded, Decimal(0)) / amount).to_integral_value(
            rounding=ROUND_FLOOR))  # fmt: skip
    return max(0, min(target, earned) - reversed_before)


def reverse(
    wallet: Wallet, points: int, *, order_lot_id: int | None, floor: int, now: datetime
) -> Movement:
    """Reverse ``points``: the order's lot first, then the others, then as debt, down to
    ``floor`` (<= 0); beyond it the points are written off."""
    if points < 0:
        raise LoyaltyError("a number of points of 0 or more")
    if floor > 0:
        raise LoyaltyError("the floor is 0 or below", field="negative_floor")
    applied = max(0, min(points, wallet.balance - floor))
    own = [wallet.lots[order_lot_id]] if order_lot_id in wallet.lots else []
    others = redemption_order(
        lot for lot in wallet.lots.values() if lot.id != order_lot_id and lot.remaining > 0
    )
    uses, left = _take([*own, *others], applied)
    return wallet.apply(Movement(-applied, tuple(uses), left, points - applied))


def restore(wallet: Wallet, uses: Iterable[Use], now: datetime) -> Movement:
    """Give back what a redemption took (``uses``, each positive) to the lots still live;
    while in debt, the points pay it first, taken from the soonest-expiring lots' share."""
    back: dict[int, int] = {}
    for use in uses:
        lot = wallet.lots[use.lot_id]
        if use.points > 0 and lot.live(now):
            back[lot.id] = back.get(lot.id, 0) + use.points
    total = sum(back.values())
    paid = min(wallet.debt, total)
    owed = paid
    for lot in redemption_order(wallet.lots[i] for i in back):
        cut = min(owed, back[lot.id])
        back[lot.id] -= cut
        owed -= cut
    given = tuple(Use(lot_id, -points) for lot_id, points in sorted(back.items()) if points)
    return wallet.apply(Movement(total, given, -paid))


def wallet_of(lots: Iterable[Lot], debt: int = 0) -> Wallet:
    return Wallet({lot.id: lot for lot in lots}, debt)


def uses_by_lot(uses: Iterable[Use]) -> Mapping[int, int]:
    found: dict[int, int] = {}
    for use in uses:
        found[use.lot_id] = found.get(use.lot_id, 0) + use.points
    return found
