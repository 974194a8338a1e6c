"""Coupon rules (issue 17), PURE: whether a code may be used now by this customer on an order
of this amount, and the discount it gives, in Decimal.

A coupon takes a percentage off (rounded to the cent, halves up), a fixed amount off (never
more than the order) or gives free shipping (nothing off the order's amount: the shop waives
its shipping charge; the discount is 0.00 with ``free_shipping`` said). A discount is never
negative nor above the order's amount. A coupon is refused, in words naming the reason and
the field it concerns, when it is switched off, tied to another customer, not valid yet,
expired, used up (its uses counted by the caller under a lock), used by this customer as many
times as the per-customer limit allows, or when the order does not reach the minimum amount.

Codes are kept upper-case (``code_normalize``: "summer-10" and "SUMMER-10" are one code);
``code_generate`` draws 12 characters from 31 that are not mistaken for one another (no 0/O,
1/I/L), about 59 bits: unguessable with the randomness the caller passes (``secrets``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_MAX = 40
_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


class CouponError(ValueError):
    """A coupon's terms that cannot hold (a percentage above 100, a bad code): ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class CouponRefused(Exception):
    """A valid request the coupon refuses; ``reason`` a short code, ``field`` the input it is
    about, the message in words ("minimum order 50.00 not reached")."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Terms:
    """What a coupon promises and allows. ``max_uses`` / ``per_customer_limit`` None: no
    limit; ``customer_id`` None: anyone's."""

    kind: CouponKind
    value: Decimal
    active: bool = True
    min_order: Decimal | None = None
    max_uses: int | None = None
    per_customer_limit: int | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    customer_id: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The answer for a checkout page: valid with its discount, or the reason in words."""

    valid: bool
    discount: Decimal
    free_shipping: bool
    reason: str = ""  # a short code: expired, used_up, minimum_order, ...
    field: str = ""
    message: str = ""


class Draw(Protocol):
    def choice(self, seq: str) -> str: ...


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def terms_check(terms: Terms) -> None:
    """Raise ``CouponError`` for terms that cannot hold."""
    if not terms.value.is_finite() or terms.value < 0:
        raise CouponError("value", "a value of 0 or more")
    if terms.kind == CouponKind.PERCENT and not (0 < terms.value <= HUNDRED):
        raise CouponError("value", "a percentage above 0, at most 100")
    if terms.kind == CouponKind.FIXED and terms.value <= 0:
        raise CouponError("value", "an amount off above 0")
    if terms.min_order is not None and (not terms.min_order.is_finite() or terms.min_order < 0):
        raise CouponError("min_order", "a minimum order of 0 or more")
    for name in ("max_uses", "per_customer_limit"):
        limit = getattr(terms, name)
        if limit is not None and limit < 1:
            raise CouponError(name, "at least 1 (empty: no limit)")
    if terms.valid_from and terms.expires_at and terms.expires_at <= terms.valid_from:
        raise CouponError("expires_at", "the expiry must come after the start of validity")


def discount(kind: CouponKind, value: Decimal, order_amount: Decimal) -> Decimal:
    """The amount taken off an order of ``order_amount``: a percentage rounded to the cent
    (halves up), a fixed amount capped at the order, nothing for free shipping; never
    negative nor above the order's amount."""
    amount = Decimal(order_amount)
    if not amount.is_finite() or amount < 0:
        raise CouponError("order_amount", "an order amount of 0 or more")
    if kind == CouponKind.PERCENT:
        off = money(amount * Decimal(value) / HUNDRED)
    elif kind == CouponKind.FIXED:
        off = money(Decimal(value))
    else:
        off = Decimal("0.00")
    return max(Decimal("0.00"), min(off, money(amount)))


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z").strip()


def coupon_check(
    terms: Terms,
    *,
    customer_id: int,
    order_amount: Decimal,
    now: datetime,
    uses: int,
    customer_uses: int,
) -> Decimal:
    """The discount for this customer and order now, or ``CouponRefused``. ``uses``: the
    coupon's uses so far; ``customer_uses``: this customer's (neither counting released
    ones)."""
    if not terms.active:
        raise CouponRefused("inactive", "code", "this coupon is switched off")
    if terms.customer_id is not None and terms.customer_id != customer_id:
        raise CouponRefused("not_this_customer", "customer_id", "not this customer's coupon")
    if terms.valid_from is not None and now < terms.valid_from:
        raise CouponRefused(
            "not_yet_valid", "code", f"not valid before {_moment(terms.valid_from)}"
        )
    if terms.expires_at is not None and now >= terms.expires_at:
        raise CouponRefused("expired", "code", f"expired since {_moment(terms.expires_at)}")
    if terms.max_uses is not None and uses >= terms.max_uses:
        words = (
            "this coupon has been used"
            if terms.max_uses == 1
            else f"this coupon has been used up: {uses} of {terms.max_uses} uses"
        )
        raise CouponRefused("used_up", "code", words)
    limit = terms.per_customer_limit
    if limit is not None and customer_uses >= limit:
        raise CouponRefused(
            "customer_limit", "customer_id",
            f"this customer has used this coupon {customer_uses} "
            f"time{'s' if customer_uses != 1 else ''}: the limit is {limit} per customer",
        )  # fmt: skip
    amount = Decimal(order_amount)
    if terms.min_order is not None and amount < terms.min_order:
        raise CouponRefused(
            "minimum_order", "order_amount",
            f"minimum order {money(terms.min_order)} not reached (this order: {money(amount)})",
        )  # fmt: skip
    return discount(terms.kind, terms.value, amount)


def verdict(
    terms: Terms,
    *,
    customer_id: int,
    order_amount: Decimal,
    now: datetime,
    uses: int,
    customer_uses: int,
) -> Verdict:
    """``coupon_check`` as an answer rather than an exception (the checkout page's)."""
    free = terms.kind == CouponKind.FREE_SHIPPING
    try:
        off = coupon_check(
            terms, customer_id=customer_id, order_amount=order_amount, now=now, uses=uses,
            customer_uses=customer_uses,
        )  # fmt: skip
    except CouponRefused as refused:
        return Verdict(False, Decimal("0.00"), False, refused.reason, refused.field, str(refused))
    return Verdict(True, off, free)


def code_normalize(text: str) -> str:
    """A code as kept and looked up: trimmed, upper-case; ``CouponError`` for an empty or
    long one, or one with characters other than letters, digits, ``-`` and ``_``."""
    code = str(text).strip().upper()
    if not code:
        raise CouponError("code", "give a code")
    if len(code) > CODE_MAX:
        raise CouponError("code", f"at most {CODE_MAX} characters")
    if not _CODE_PATTERN.match(code):
        raise CouponError("code", "letters, digits, '-' and '_' only, first a letter or digit")
    return code


def code_generate(draw: Draw, groups: int = 3, size: int = 4) -> str:
    """A code of ``groups`` groups of ``size`` characters of ``CODE_ALPHABET`` joined by "-"
    (such as "K7QM-2XWD-H9TR"); the services pass ``secrets.SystemRandom()`` as ``draw``."""
    return "-".join("".join(draw.choice(CODE_ALPHABET) for _ in range(size)) for _ in range(groups))
