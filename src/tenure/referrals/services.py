"""Writes of referral rewards: the program's settings, a customer's code (made on demand,
revoked), a customer attributed to a code, the first order taken, an admin's override of a
blocked referral, and the rewards paid once the first order outlives the refund window.

Who may: making or revoking a code and attributing a customer change a customer (admins,
managers, a success manager their book's: the code's customer, the customer attributed; an
analyst 403); the override and the settings are the admins'. ``by=None`` is the operator or
the worker. The referral itself is the feedback app's ``Referral`` (signed up, then purchased:
the advocacy the lifecycle reads), written here through ``tenure.feedback.services`` as the
system (``by=None``): the person attributing a customer need not have the referrer in their
book. A blocked referral writes no feedback referral until an admin unblocks it (it would
make the self-referrer an advocate). Points go through ``tenure.loyalty.services.points_earn``
with the keys ``referral:<id>:referrer`` / ``referral:<id>:referred``: paid once, whatever
runs twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from tenure.access import get_visible_or_404, require
from tenure.customers.models import Customer
from tenure.domain import referrals as rules
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.feedback.models import Referral, ReferralStatus
from tenure.feedback.services import referral_create, referral_update
from tenure.loyalty.selectors import program as loyalty_program
from tenure.loyalty.services import points_earn
from tenure.orders.models import Order, OrderStatus
from tenure.referrals import events
from tenure.referrals.models import (
    MAX_REWARD_POINTS,
    AttributionStatus,
    ReferralAttribution,
    ReferralCode,
    ReferralProgram,
)
from tenure.referrals.selectors import code_find, live_code, program
from tenure.users.models import User

logger = logging.getLogger(__name__)
PROGRAM_FIELDS = frozenset({"referrer_points", "referred_points", "signup_url"})
REASON_MAX = 200


def _customer(by: User | None, customer_id: int, field: str = "customer_id") -> Customer:
    """The customer ``by`` may change, locked (403 for a role that changes nothing, 404
    outside the book; the operator: a validation error naming the field)."""
    rows = Customer.objects.select_for_update(no_key=True)  # orders may still reference it
    if by is None:
        found = rows.filter(pk=customer_id).first()
        if found is None:
            raise ValidationError({field: [f"no customer with id {customer_id}"]})
        return found
    return get_visible_or_404(by, rows, Action.CHANGE, pk=customer_id)


@transaction.atomic
def program_update(*, by: User | None, changes: Mapping[str, Any]) -> ReferralProgram:
    """The program's points for both sides and sign-up page (admins)."""
    if by is not None:
        require(by, Action.ADMINISTER)
    unknown = set(changes) - PROGRAM_FIELDS
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})
    settings = ReferralProgram.objects.select_for_update().get(pk=program().pk)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    return settings


def _new_code() -> str:
    return "".join(secrets.choice(rules.CODE_ALPHABET) for _ in range(rules.CODE_LENGTH))


@transaction.atomic
def code_make(*, by: User | None, customer_id: int, now: datetime) -> tuple[ReferralCode, bool]:
    """The customer's live code, made if they have none: (code, whether it is new)."""
    customer = _customer(by, customer_id)
    found = live_code(customer.pk)
    if found is not None:
        return found, False
    for _ in range(5):  # a clash of random codes: about one in 10^12 per code made
        try:
            with transaction.atomic():
                made = ReferralCode.objects.create(
                    customer=customer, code=_new_code(), created_at=now, created_by=by
                )
            return made, True
        except IntegrityError:
            continue
    raise Conflict("no free referral code was found: try again")


@transaction.atomic
def code_revoke(*, by: User | None, customer_id: int, now: datetime) -> ReferralCode | None:
    """Revoke the customer's live code (None: they had none). It brings nobody new; the
    referrals it brought stay, and a new code may be made."""
    customer = _customer(by, customer_id)
    found = live_code(customer.pk)
    if found is None:
        return None
    found.revoked_at, found.revoked_by = now, by
    found.save(update_fields=["revoked_at", "revoked_by"])
    return found


def _first_order(customer_id: int) -> Order | None:
    completed = Order.objects.filter(customer_id=customer_id, status=OrderStatus.COMPLETED)
    return completed.order_by("placed_at", "id").first()


def _feedback_referral(
    attribution: ReferralAttribution, referred: Customer, now: datetime
) -> Referral | None:
    """The feedback app's referral of this pair, signed up: one sent to the referred email
    before is taken over, else one is made. None if the feedback app refuses (logged)."""
    pair = Referral.objects.filter(referrer_id=attribution.referrer_id)
    found = pair.filter(referred_customer_id=referred.pk).first()
    if found is None and referred.email:
        found = pair.filter(
            referred_customer__isnull=True, referred_email__iexact=referred.email
        ).first()
    try:
        if found is None:
            return referral_create(
                by=None, referrer_id=attribution.referrer_id, referred_customer_id=referred.pk,
                referred_at=now, status=ReferralStatus.SIGNED_UP, now=now,
            )  # fmt: skip
        changes: dict[str, Any] = {"referred_customer_id": referred.pk}
        if found.status == ReferralStatus.INVITED:
            changes["status"] = ReferralStatus.SIGNED_UP
        return referral_update(by=None, referral_id=found.pk, changes=changes, now=now)
    except ValidationError as refused:
        logger.warning("referral %s: the feedback referral was refused: %s", attribution.pk,
                       refused.messages)  # fmt: skip
        return None


def _feedback_status(attribution: ReferralAttribution, status: str, now: datetime) -> None:
    if attribution.referral_id is None:
        return
    try:
        referral_update(
            by=None, referral_id=attribution.referral_id, changes={"status": status}, now=now
        )
    except (ValidationError, Referral.DoesNotExist):  # deleted meanwhile: nothing to move
        logger.warning("referral %s: its feedback referral could not become %s",
                       attribution.pk, status)  # fmt: skip


def first_order_take(attribution: ReferralAttribution, now: datetime) -> bool:
    """Attribute the referred customer's first completed order, if there is one: the
    attribution waits for the refund window, the feedback referral is ``purchased``."""
    first = _first_order(attribution.referred_id)
    if first is None or attribution.status != AttributionStatus.SIGNED_UP:
        return False
    window = loyalty_program().refund_window_days
    attribution.order_id, attribution.ordered_at = first.pk, first.placed_at
    attribution.due_at = rules.reward_due_at(first.placed_at, window)
    attribution.status = AttributionStatus.ORDERED
    attribution.save(update_fields=["order", "ordered_at", "due_at", "status"])
    _feedback_status(attribution, ReferralStatus.PURCHASED, now)
    return True


@transaction.atomic
def referral_attribute(
    *, by: User | None, code: str, customer_id: int, now: datetime
) -> tuple[ReferralAttribution, bool]:
    """Attribute a new customer to the referrer whose code brought them: (attribution, whether
    it is new). The same code again is the same attribution; another's code is refused (409);
    a self-referral is stored blocked with its reason."""
    referred = _customer(by, customer_id)
    found = code_find(code)
    if found is None:
        raise ValidationError({"code": ["no such referral code"]})
    known = ReferralAttribution.objects.filter(referred=referred).first()
    if known is not None:
        if known.referrer_id == found.customer_id:
            return known, False
        raise Conflict(f"customer {referred.pk} was referred already, by another code")
    if found.revoked_at is not None:
        raise ValidationError({"code": ["this referral code was revoked"]})
    first = _first_order(referred.pk)
    refusal = rules.attribution_refusal(first_order_at=first.placed_at if first else None, now=now)
    if refusal:
        raise Conflict(refusal)
    referrer = found.customer
    blocked = rules.self_referral_reason(
        referrer_id=referrer.pk, referrer_email=referrer.email,
        referred_id=referred.pk, referred_email=referred.email,
    )  # fmt: skip
    attribution = ReferralAttribution.objects.create(
        code=found, referrer=referrer, referred=referred, attributed_at=now,
        status=AttributionStatus.BLOCKED if blocked else AttributionStatus.SIGNED_UP,
        reason=blocked or "", blocked_reason=blocked or "",
    )  # fmt: skip
    if blocked:
        events.attribution_announce(events.BLOCKED, attribution, reason=blocked)
        return attribution, True
    _signed_up(attribution, referred, now)
    return attribution, True


def _signed_up(attribution: ReferralAttribution, referred: Customer, now: datetime) -> None:
    referral = _feedback_referral(attribution, referred, now)
    if referral is not None:
        attribution.referral = referral
        attribution.save(update_fields=["referral"])
    first_order_take(attribution, now)


@transaction.atomic
def referral_override(
    *, by: User | None, attribution_id: int, reason: str, now: datetime
) -> ReferralAttribution:
    """Unblock a blocked referral (admins), with the reason, kept beside who and when: it
    becomes a referral like any other (signed up; its first order taken, rewarded later)."""
    if by is not None:
        require(by, Action.ADMINISTER)
    why = str(reason or "").strip()
    if not why:
        raise ValidationError({"reason": ["say why: the reason is kept with the referral"]})
    if len(why) > REASON_MAX:
        raise ValidationError({"reason": [f"at most {REASON_MAX} characters"]})
    attribution = ReferralAttribution.objects.select_for_update().filter(pk=attribution_id).first()
    if attribution is None:
        raise Http404("no such record")
    if attribution.status != AttributionStatus.BLOCKED:
        raise Conflict(f"only a blocked referral is unblocked: this one is {attribution.status}")
    if attribution.referrer_id == attribution.referred_id:
        raise Conflict("a customer cannot refer themselves: this referral stays blocked")
    attribution.status, attribution.reason = AttributionStatus.SIGNED_UP, ""
    attribution.override_by, attribution.override_at, attribution.override_reason = by, now, why
    attribution.save()
    events.attribution_announce(events.UNBLOCKED, attribution)
    _signed_up(attribution, Customer.objects.get(pk=attribution.referred_id), now)
    return attribution


def _order_state(attribution: ReferralAttribution) -> tuple[str, datetime | None]:
    if attribution.order_id is None:
        return "deleted", None
    order = (
        Order.objects.filter(pk=attribution.order_id)
        .values("status", "customer_id", "placed_at")
        .first()
    )
    if order is None:
        return "deleted", None
    if order["customer_id"] != attribution.referred_id:
        return "moved", None
    return str(order["status"]), order["placed_at"]


def _not_rewarded(attribution: ReferralAttribution, reason: str, now: datetime) -> None:
    attribution.status, attribution.reason = AttributionStatus.NOT_REWARDED, reason
    attribution.save(update_fields=["status", "reason"])
    _feedback_status(attribution, ReferralStatus.SIGNED_UP, now)  # no purchase after all
    events.attribution_announce(events.NOT_REWARDED, attribution, reason=reason)


def order_changed(attribution: ReferralAttribution, now: datetime) -> bool:
    """The first order was refunded, cancelled, deleted or moved before the reward was paid:
    not rewarded, with the reason. Whether it was."""
    if attribution.status != AttributionStatus.ORDERED:
        return False
    state, placed_at = _order_state(attribution)
    decision = rules.reward_decision(
        order_state=state, placed_at=placed_at, now=now,
        refund_window_days=loyalty_program().refund_window_days,
    )  # fmt: skip
    if decision.decision is rules.Decision.REFUSE:
        _not_rewarded(attribution, decision.reason, now)
        return True
    return False


def _earn(customer_id: int, points: int, key: str, now: datetime, cause: str) -> None:
    if points > 0:
        points_earn(by=None, customer_id=customer_id, key=key, now=now, points=points, cause=cause)


@transaction.atomic
def reward_pay(*, attribution_id: int, now: datetime) -> str:
    """Pay one referral's reward if it is due: ``rewarded``, ``not_rewarded`` (the order is
    gone), ``waiting`` (the window runs), ``held`` (the loyalty program is off or both rewards
    are 0: paid once switched on) or ``done`` (nothing to do)."""
    attribution = ReferralAttribution.objects.select_for_update().filter(pk=attribution_id).first()
    if attribution is None or attribution.status != AttributionStatus.ORDERED:
        return "done"
    state, placed_at = _order_state(attribution)
    loyalty = loyalty_program()
    decision = rules.reward_decision(
        order_state=state, placed_at=placed_at, now=now,
        refund_window_days=loyalty.refund_window_days,
    )  # fmt: skip
    if decision.decision is rules.Decision.REFUSE:
        _not_rewarded(attribution, decision.reason, now)
        return "not_rewarded"
    if decision.due_at != attribution.due_at:  # the window or the order's date changed
        attribution.due_at = decision.due_at
        attribution.save(update_fields=["due_at"])
    if decision.decision is rules.Decision.WAIT:
        return "waiting"
    settings = program()
    if not loyalty.enabled or not (settings.referrer_points or settings.referred_points):
        return "held"
    referrer_points = min(settings.referrer_points, MAX_REWARD_POINTS)
    referred_points = min(settings.referred_points, MAX_REWARD_POINTS)
    _earn(attribution.referrer_id, referrer_points, f"referral:{attribution.pk}:referrer", now,
          f"referral reward: referral {attribution.pk}, as the referrer")  # fmt: skip
    _earn(attribution.referred_id, referred_points, f"referral:{attribution.pk}:referred", now,
          f"referral reward: referral {attribution.pk}, as the customer referred")  # fmt: skip
    attribution.status, attribution.rewarded_at = AttributionStatus.REWARDED, now
    attribution.referrer_points, attribution.referred_points = referrer_points, referred_points
    attribution.save(update_fields=["status", "rewarded_at", "referrer_points", "referred_points"])
    events.attribution_announce(
        events.REWARDED, attribution, referrer_points=referrer_points,
        referred_points=referred_points,
    )  # fmt: skip
    return "rewarded"


def rewards_pay_due(
    *, now: datetime, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Every referral whose first order waits for its window, one transaction each: the due
    ones paid, the gone ones not rewarded; the counts of each outcome."""
    ids = list(
        ReferralAttribution.objects.filter(status=AttributionStatus.ORDERED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    counts = {"rewarded": 0, "not_rewarded": 0, "waiting": 0, "held": 0, "done": 0}
    for n, attribution_id in enumerate(ids, 1):
        counts[reward_pay(attribution_id=attribution_id, now=now)] += 1
        if on_progress is not None and n % 200 == 0:
            on_progress(n, len(ids))
    return counts
