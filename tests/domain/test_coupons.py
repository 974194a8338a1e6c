"""The coupon rules, hand-worked: discounts in Decimal (percent rounded to the cent, halves
up; fixed capped at the order; free shipping takes nothing off), each refusal in words, the
code's form; and by hypothesis: a discount is never negative nor above the order's amount."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.domain.coupons import (
    CODE_ALPHABET,
    CouponError,
    CouponKind,
    CouponRefused,
    Terms,
    code_generate,
    code_normalize,
    coupon_check,
    discount,
    terms_check,
    verdict,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = Decimal


def check(terms: Terms, amount: str = "100.00", *, uses: int = 0, mine: int = 0,
          customer: int = 7, now: datetime = NOW) -> Decimal:  # fmt: skip
    return coupon_check(
        terms, customer_id=customer, order_amount=D(amount), now=now, uses=uses,
        customer_uses=mine,
    )  # fmt: skip


def refusal(terms: Terms, amount: str = "100.00", **situation: object) -> CouponRefused:
    with pytest.raises(CouponRefused) as refused:
        check(terms, amount, **situation)
    return refused.value


@pytest.mark.parametrize(
    ("percent", "amount", "off"),
    [
        ("10", "19.99", "2.00"),  # 1.999 -> 2.00
        ("15", "33.33", "5.00"),  # 4.9995 -> 5.00 (half up)
        ("12.5", "0.20", "0.03"),  # 0.025 -> 0.03 (half up, not to even)
        ("12.5", "0.12", "0.02"),  # 0.015 -> 0.02
        ("33", "10.00", "3.30"),
        ("100", "42.42", "42.42"),
        ("10", "0.00", "0.00"),
    ],
)
def test_percent_off_is_rounded_to_the_cent_halves_up(percent, amount, off):
    assert discount(CouponKind.PERCENT, D(percent), D(amount)) == D(off)


def test_a_fixed_amount_is_capped_at_the_order_and_free_shipping_takes_nothing_off():
    assert discount(CouponKind.FIXED, D("5"), D("49.90")) == D("5.00")
    assert discount(CouponKind.FIXED, D("20.00"), D("15.00")) == D("15.00")
    assert discount(CouponKind.FREE_SHIPPING, D("0"), D("80.00")) == D("0.00")
    verdict_ = verdict(Terms(CouponKind.FREE_SHIPPING, D("0")), customer_id=1,
                       order_amount=D("80"), now=NOW, uses=0, customer_uses=0)  # fmt: skip
    assert (verdict_.valid, verdict_.free_shipping, verdict_.discount) == (True, True, D("0.00"))


def test_the_minimum_order_is_reached_at_the_cent():
    terms = Terms(CouponKind.FIXED, D("10"), min_order=D("50"))
    assert check(terms, "50.00") == D("10.00")
    refused = refusal(terms, "49.99")
    assert str(refused) == "minimum order 50.00 not reached (this order: 49.99)"
    assert (refused.reason, refused.field) == ("minimum_order", "order_amount")


def test_validity_in_time_in_words():
    start, end = NOW + timedelta(days=1), datetime(2026, 2, 28, 23, 59, tzinfo=UTC)
    assert str(refusal(Terms(CouponKind.PERCENT, D("10"), valid_from=start))) == (
        "not valid before 2026-03-02 12:00 UTC"
    )
    expired = refusal(Terms(CouponKind.PERCENT, D("10"), expires_at=end))
    assert str(expired) == "expired since 2026-02-28 23:59 UTC"
    assert expired.reason == "expired"
    # The expiry moment itself is past: valid strictly before it.
    at_end = Terms(CouponKind.PERCENT, D("10"), expires_at=NOW)
    assert refusal(at_end).reason == "expired"
    assert check(at_end, now=NOW - timedelta(microseconds=1)) == D("10.00")


def test_uses_and_the_per_customer_limit():
    single = Terms(CouponKind.PERCENT, D("10"), max_uses=1)
    assert check(single, uses=0) == D("10.00")
    assert str(refusal(single, uses=1)) == "this coupon has been used"
    five = Terms(CouponKind.PERCENT, D("10"), max_uses=5, per_customer_limit=2)
    assert str(refusal(five, uses=5)) == "this coupon has been used up: 5 of 5 uses"
    assert check(five, uses=4, mine=1) == D("10.00")
    mine = refusal(five, uses=2, mine=2)
    assert str(mine) == "this customer has used this coupon 2 times: the limit is 2 per customer"
    assert mine.field == "customer_id"


def test_a_customers_coupon_and_a_switched_off_one():
    theirs = Terms(CouponKind.FIXED, D("5"), customer_id=8)
    assert str(refusal(theirs, customer=7)) == "not this customer's coupon"
    assert check(theirs, customer=8) == D("5.00")
    assert str(refusal(Terms(CouponKind.FIXED, D("5"), active=False))) == (
        "this coupon is switched off"
    )


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (Terms(CouponKind.PERCENT, D("0")), "value"),
        (Terms(CouponKind.PERCENT, D("100.01")), "value"),
        (Terms(CouponKind.FIXED, D("0")), "value"),
        (Terms(CouponKind.FIXED, D("-1")), "value"),
        (Terms(CouponKind.FIXED, D("5"), min_order=D("-1")), "min_order"),
        (Terms(CouponKind.FIXED, D("5"), max_uses=0), "max_uses"),
        (Terms(CouponKind.FIXED, D("5"), valid_from=NOW, expires_at=NOW), "expires_at"),
    ],
)
def test_terms_that_cannot_hold_name_their_field(terms, field):
    with pytest.raises(CouponError) as error:
        terms_check(terms)
    assert error.value.field == field


def test_codes_are_kept_upper_case_and_drawn_from_an_unambiguous_alphabet():
    assert code_normalize("  summer-10 ") == "SUMMER-10"
    for bad in ("", "   ", "bad code", "-LEAD", "x" * 41, "ÉTÉ"):
        with pytest.raises(CouponError):
            code_normalize(bad)
    rng = random.Random(17)
    codes = {code_generate(rng) for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", c) for c in codes)
    assert not set("".join(codes)) - set(CODE_ALPHABET) - {"-"}
    assert not set("".join(codes)) & set("01OIL")
    assert all(code_normalize(c) == c for c in codes)


amounts = st.decimals(min_value=0, max_value=D("999999999999.99"), places=2)


@given(
    kind=st.sampled_from(list(CouponKind)),
    value=st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
    amount=amounts,
)
def test_a_discount_is_never_negative_nor_above_the_order(kind, value, amount):
    if kind == CouponKind.PERCENT:
        value = min(value, D(100))
    off = discount(kind, value, amount)
    assert D("0.00") <= off <= amount
    assert off == off.quantize(D("0.01"))
