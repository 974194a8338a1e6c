"""PURE rules of referral rewards (issue 17): when a referral is a self-referral, whether a
customer may still be attributed to a referrer, and when the reward of a first order is due.

**Self-referral.** A referral is blocked, with the reason in words (never the addresses: the
reason is shown on pages and sent in events), when the person referred is:

1. the referrer (the same customer);
2. at the same email address (case and surrounding spaces aside);
3. at the same *mailbox*: ``email_normalise`` folds case, drops a ``+tag`` from the local part
   (Gmail, Outlook, Fastmail and most providers deliver ``ann+x@`` to ``ann@``), and, at Gmail
   only, drops dots and reads ``googlemail.com`` as ``gmail.com`` (Gmail ignores dots; other
   providers do not, so ``a.b@example.com`` and ``ab@example.com`` may be two people there:
   rule 5 catches them as *similar*);
4. the referrer's (normalised) local part at a domain one edit apart: ``gmial.com``,
   ``gmail.co``, ``hotmai.com`` (a typo, or a look-alike domain registered for the purpose).
   One edit, not two: ``mail.com`` and ``gmx.com`` are real, different providers;
5. a local part one edit from the referrer's at the same domain (``jsmith1@`` against
   ``jsmith@``, ``anna.k@`` against ``annak@``), when the shorter has at least
   ``ONE_EDIT_MIN_LENGTH`` (5) characters: among short names one letter is too large a share
   (``ann@`` and ``anna@`` are as likely two people as one).

An edit is an insertion, a deletion, a substitution or a swap of two neighbours (the optimal
string alignment distance): swapped letters are the commonest typo. A blocked referral that
is in fact two people is unblocked by an admin with a reason; a self-referral let through
costs the business the points of both sides, so the rules lean towards blocking.

**Attribution.** A referral rewards bringing a *new* customer: a customer whose first completed
order is more than ``FIRST_ORDER_GRACE`` (a day) old is refused (a checkout usually records the
order and then the code, so a first order of the last day is the referred one).

**The reward.** Due once the first order outlives the refund window: at ``placed_at +
refund_window_days`` (a window of 0: at once), and only while the order is still completed then
(refunded, cancelled, deleted or moved to another customer: not rewarded, with that reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
ONE_EDIT_MIN_LENGTH = 5
FIRST_ORDER_GRACE = timedelta(days=1)
_TRAILING = re.compile(r"[.\s]+\Z")

SAME_CUSTOMER = "the customer referred themselves"
SAME_EMAIL = "the same email address as the referrer's"
SAME_MAILBOX = (
    "the same mailbox as the referrer's once case, a +tag and (at Gmail) dots are ignored"
)
TYPO_DOMAIN = "the referrer's email name at a domain one letter away from the referrer's"
ONE_EDIT = "an email name one letter away from the referrer's at the same domain"


def _split(address: str) -> tuple[str, str]:
    local, at, domain = address.rpartition("@")
    if not at:
        return address, ""
    return local, domain


def email_normalise(address: str) -> str:
    """The mailbox an address delivers to, as far as its form tells: case folded, a ``+tag``
    dropped, Gmail's dots dropped and ``googlemail.com`` read as ``gmail.com``. Idempotent."""
    text = address.strip().casefold()
    local, domain = _split(text)
    domain = _TRAILING.sub("", domain)  # "example.com." is "example.com"
    if not domain:  # not an address: compared as it is
        return text
    local = local.partition("+")[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours turning ``a`` into ``b``
    (the optimal string alignment distance; Damerau 1964 without repeated edits of one
    substring)."""
    if a == b:
        return 0
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows = [rows[-1], row]
    return rows[-1][len(b)]


def emails_similar(referrer: str, referred: str) -> str | None:
    """Why the two addresses are one person's (rules 2-5 above), or None. An empty address
    is like no other."""
    first, second = referrer.strip().casefold(), referred.strip().casefold()
    if not first or not second:
        return None
    if first == second:
        return SAME_EMAIL
    a, b = email_normalise(first), email_normalise(second)
    if a == b:
        return SAME_MAILBOX
    (local_a, domain_a), (local_b, domain_b) = _split(a), _split(b)
    if not local_a or not local_b or not domain_a or not domain_b:
        return None
    if local_a == local_b and edit_distance(domain_a, domain_b) == 1:
        return TYPO_DOMAIN
    if (
        domain_a == domain_b
        and min(len(local_a), len(local_b)) >= ONE_EDIT_MIN_LENGTH
        and edit_distance(local_a, local_b) == 1
    ):
        return ONE_EDIT
    return None


def self_referral_reason(
    *, referrer_id: int, referrer_email: str, referred_id: int, referred_email: str
) -> str | None:
    """Why this referral is a self-referral (blocked), or None."""
    if referrer_id == referred_id:
        return SAME_CUSTOMER
    return emails_similar(referrer_email, referred_email)


def attribution_refusal(*, first_order_at: datetime | None, now: datetime) -> str | None:
    """Why a customer may no longer be attributed to a referrer, or None."""
    if first_order_at is not None and first_order_at < now - FIRST_ORDER_GRACE:
        return (
            "this customer bought before (their first order is more than a day old): "
            "a referral rewards bringing a new customer"
        )
    return None


class Decision(Enum):
    WAIT = "wait"
    PAY = "pay"
    REFUSE = "refuse"


@dataclass(frozen=True)
class RewardDecision:
    decision: Decision
    reason: str = ""
    due_at: datetime | None = None


GONE_REASONS = {
    "refunded": "the order was refunded before the reward was due",
    "cancelled": "the order was cancelled before the reward was due",
    "deleted": "the order was deleted before the reward was due",
    "moved": "the order was moved to another customer",
}


def reward_due_at(placed_at: datetime, refund_window_days: int) -> datetime:
    return placed_at + timedelta(days=refund_window_days)


def reward_decision(
    *,
    order_state: str,
    placed_at: datetime | None,
    refund_window_days: int,
    now: datetime,
) -> RewardDecision:
    """Whether the first order's reward is paid now, waits, or is refused. ``order_state``:
    the order's status (``completed``, ``refunded``, ``cancelled``), or ``deleted``, or
    ``moved`` (it belongs to another customer now)."""
    if order_state != "completed" or placed_at is None:
        reason = GONE_REASONS.get(order_state, f"the order is {order_state}")
        return RewardDecision(Decision.REFUSE, reason)
    due = reward_due_at(placed_at, refund_window_days)
    if now < due:
        return RewardDecision(Decision.WAIT, due_at=due)
    return RewardDecision(Decision.PAY, due_at=due)


CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
CODE_LENGTH = 8  # 32^8: about 10^12 codes
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def code_normalise(text: str) -> str:
    """A code as typed (any case, spaces or hyphens, O for 0, I or L for 1) as stored."""
    cleaned = "".join(ch for ch in text.strip().upper() if ch not in " -")
    return cleaned.translate(_READ_AS)


def code_is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)
