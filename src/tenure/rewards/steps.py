"""The playbook step "Issue a coupon", run by ``tenure.playbooks.app_steps`` (playbooks sit
above this app in the layers): a single-use coupon for the enrolled customer only, made from
a coupon reward of the catalog as its template (kind, value, minimum order, days valid),
without spending points. A reward kept out of the catalog (not offered) still serves as a
template, so a business may keep coupons for playbooks only.

Once per enrolment and step: the coupon's code is drawn from an HMAC of the step's key with
the secret key (``coupon_issue``), so a step run twice draws the same code and finds the
coupon it made; the code stays unguessable to anyone without the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from tenure.access import AccessDenied, require, sees_all
from tenure.domain import coupons as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.domain.playbook_steps import Param, StepKind
from tenure.rewards.models import Coupon, Reward, RewardKind
from tenure.rewards.services import customer_of
from tenure.users.models import User

ISSUE_COUPON = StepKind(
    "issue_coupon",
    "Issue a coupon",
    {"reward": Param("text", required=True, max_length=120, help="a coupon reward's name")},
    "Issue the customer a single-use coupon of their own, made from a coupon reward's template "
    "(no points spent), once per enrolment.",
    promotes=lambda params: True,  # an offer: held after a purchase like a promotional email
    needs="the rewards app",
)


class _Keyed:
    """A ``rules.Draw`` whose choices come from an HMAC of the key: the same key, the same
    code."""

    def __init__(self, key: str) -> None:
        self._bytes = salted_hmac("tenure.rewards.issue_coupon", key, algorithm="sha256").digest()
        self._at = 0

    def choice(self, seq: str) -> str:
        byte = self._bytes[self._at % len(self._bytes)]
        self._at += 1
        return seq[byte % len(seq)]


def keyed_code(key: str) -> str:
    return rules.code_generate(_Keyed(key))


def _reward(name: object) -> Reward | None:
    return Reward.objects.filter(name__iexact=str(name).strip()).first()


def issue_coupon_check(params: Mapping[str, Any]) -> str | None:
    """Why the step cannot run (checked when its playbook is switched on and before a run)."""
    reward = _reward(params["reward"])
    if reward is None:
        return f"no reward {params['reward']!r} (Loyalty > Rewards lists them)"
    if reward.kind != RewardKind.COUPON:
        return f"the reward “{reward.name}” gives no coupon: choose a coupon reward"
    return None


@transaction.atomic
def coupon_issue(
    *, by: User | None, reward_id: int, customer_id: int, key: str, now: datetime
) -> tuple[Coupon, bool]:
    """A single-use coupon for the customer from the coupon reward's template, once per
    ``key`` (coupon, whether new). Admins and managers, or ``by=None`` (a playbook)."""
    if by is not None:
        require(by, Action.CHANGE)
        if not sees_all(by, Action.CHANGE):
            raise AccessDenied("only admins and managers issue coupons")
    customer = customer_of(by, customer_id)
    reward = Reward.objects.filter(pk=reward_id).first()
    if reward is None:
        raise ValidationError({"reward": [f"no reward with id {reward_id}"]})
    if reward.kind != RewardKind.COUPON:
        raise Conflict(f"the reward {reward.name!r} gives no coupon")
    code = keyed_code(key)
    found = Coupon.objects.filter(code=code).first()
    if found is None:
        days = reward.coupon_valid_days
        try:
            with transaction.atomic():
                found = Coupon.objects.create(
                    code=code, kind=reward.coupon_kind,
                    value=reward.coupon_value or Decimal("0.00"),
                    min_order=reward.coupon_min_order, max_uses=1, per_customer_limit=1,
                    customer=customer, created_at=now, created_by=by,
                    expires_at=None if days is None else now + timedelta(days=days),
                    description=f"Issued: {reward.name}"[:200],
                )  # fmt: skip
            return found, True
        except IntegrityError:  # the same key issued at the same moment elsewhere
            found = Coupon.objects.get(code=code)
    if found.customer_id != customer.pk:
        raise ValidationError({"key": ["this key was used for another request"]})
    return found, False


def issue_coupon_run(
    params: Mapping[str, Any], customer_id: int, key: str, now: datetime
) -> tuple[str, str]:
    """(status, detail) for the playbook's outcome; never the code (a bearer secret)."""
    problem = issue_coupon_check(params)
    reward = _reward(params["reward"])
    if problem is not None or reward is None:
        return "failed", problem or "no such reward"
    try:
        coupon, new = coupon_issue(
            by=None, reward_id=reward.pk, customer_id=customer_id, key=key, now=now
        )
    except ValidationError as error:
        return "failed", "; ".join(error.messages)[:400]
    except Conflict as refused:
        return "failed", str(refused)[:400]
    return "done", f"coupon {coupon.pk} {'issued' if new else 'issued already'} ({reward.name})"
