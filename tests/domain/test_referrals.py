"""The pure rules of referral rewards: self-referral by hand-worked addresses, the reward's
timing, codes; normalising is idempotent and an address is always similar to itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.domain import referrals as rules

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Ann.Lee+shop@GMail.com", "annlee@gmail.com"),  # case, +tag, Gmail's dots
        ("ann.lee@googlemail.com", "annlee@gmail.com"),  # Gmail's other domain
        ("ann.lee+x+y@example.com", "ann.lee@example.com"),  # dots kept away from Gmail
        ("  ann@example.com. ", "ann@example.com"),  # spaces, the root's dot
        ("not an address", "not an address"),
        ("ann@", "ann@"),  # no domain: compared as it is
    ],
)
def test_normalising_by_hand(address, mailbox):
    assert rules.email_normalise(address) == mailbox


@pytest.mark.parametrize(
    ("referrer", "referred", "reason"),
    [
        ("ann@example.com", "ANN@example.com ", rules.SAME_EMAIL),
        ("ann@example.com", "ann+friend@example.com", rules.SAME_MAILBOX),
        ("ann.lee@gmail.com", "annlee+2@googlemail.com", rules.SAME_MAILBOX),
        ("annlee@gmail.com", "annlee@gmial.com", rules.TYPO_DOMAIN),  # swapped letters
        ("annlee@gmail.com", "annlee@gmail.co", rules.TYPO_DOMAIN),  # a letter dropped
        ("annlee+a@gmail.com", "annlee@gmal.com", rules.TYPO_DOMAIN),  # normalised first
        ("jsmith@example.com", "jsmith1@example.com", rules.ONE_EDIT),  # a letter added
        ("anna.k@example.com", "annak@example.com", rules.ONE_EDIT),  # dots count elsewhere
        ("robert@example.com", "roebrt@example.com", rules.ONE_EDIT),  # swapped
        # Not similar:
        ("ann@example.com", "anna@example.com", None),  # short names: one letter is a lot
        ("jsmith@example.com", "jsmith12@example.com", None),  # two edits
        ("annlee@gmail.com", "annlee@gmx.net", None),  # another provider
        ("annlee@mail.com", "annlee@gmx.com", None),  # two letters apart
        ("jane@acme.com", "john@acme.com", None),  # colleagues
        ("", "ann@example.com", None),  # no address: like no other
    ],
)
def test_similar_emails_by_hand(referrer, referred, reason):
    assert rules.emails_similar(referrer, referred) == reason


def test_the_same_customer_is_a_self_referral_whatever_the_emails():
    assert (
        rules.self_referral_reason(
            referrer_id=7, referrer_email="a@x.com", referred_id=7, referred_email=""
        )
        == rules.SAME_CUSTOMER
    )
    assert (
        rules.self_referral_reason(
            referrer_id=7, referrer_email="a@x.com", referred_id=8, referred_email="b@y.com"
        )
        is None
    )


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("gmail", "gmial", 1),
     ("ca", "abc", 3), ("abcd", "abdc", 1), ("abc", "abc", 0)],
)  # fmt: skip
def test_edit_distance_by_hand(a, b, distance):
    # "ca" -> "abc" is 3 in the optimal string alignment distance (2 in full Damerau).
    assert rules.edit_distance(a, b) == distance


ADDRESSES = st.one_of(st.emails().map(str), st.text(max_size=40))


@given(ADDRESSES)
def test_normalising_is_idempotent(address):
    once = rules.email_normalise(address)
    assert rules.email_normalise(once) == once


@given(st.emails().map(str))
def test_an_address_is_always_similar_to_itself(address):
    assert rules.emails_similar(address, address) == rules.SAME_EMAIL
    assert rules.emails_similar(address, address.upper()) is not None


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_bounded(a, b):
    d = rules.edit_distance(a, b)
    assert d == rules.edit_distance(b, a)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)


def test_the_reward_waits_for_the_window_then_pays():
    placed = datetime(2026, 1, 10, 12, tzinfo=UTC)
    # 30 days after Jan 10 12:00 is Feb 9 12:00.
    due = datetime(2026, 2, 9, 12, tzinfo=UTC)
    before = rules.reward_decision(
        order_state="completed",
        placed_at=placed,
        refund_window_days=30,
        now=due - timedelta(seconds=1),
    )
    at = rules.reward_decision(
        order_state="completed", placed_at=placed, refund_window_days=30, now=due
    )
    assert (before.decision, before.due_at) == (rules.Decision.WAIT, due)
    assert (at.decision, at.due_at) == (rules.Decision.PAY, due)
    at_once = rules.reward_decision(
        order_state="completed", placed_at=placed, refund_window_days=0, now=placed
    )
    assert at_once.decision is rules.Decision.PAY


@pytest.mark.parametrize("state", ["refunded", "cancelled", "deleted", "moved"])
def test_an_order_gone_is_refused_with_its_reason(state):
    decision = rules.reward_decision(
        order_state=state, placed_at=None, refund_window_days=30, now=NOW
    )
    assert decision.decision is rules.Decision.REFUSE
    assert decision.reason == rules.GONE_REASONS[state]


def test_only_a_new_customer_is_attributed():
    assert rules.attribution_refusal(first_order_at=None, now=NOW) is None
    recent = NOW - timedelta(hours=23)
    assert rules.attribution_refusal(first_order_at=recent, now=NOW) is None  # the checkout's
    old = NOW - timedelta(days=1, seconds=1)
    assert "bought before" in (rules.attribution_refusal(first_order_at=old, now=NOW) or "")


def test_codes_are_read_as_typed():
    assert rules.code_normalise(" k7m2-q9xo ") == "K7M2Q9X0"  # O read as 0
    assert rules.code_normalise("ilL0") == "1110"
    assert rules.code_is_well_formed("K7M2Q9X0")
    assert not rules.code_is_well_formed("K7M2Q9XU")  # no U in Crockford's alphabet
    assert not rules.code_is_well_formed("K7M2Q9X")
