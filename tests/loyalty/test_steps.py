"""The playbook steps "Award points" and "Issue a coupon": each acts once per enrolment and
step however often the step runs (an event delivered again, a worker restarted), and a
playbook using one is not switched on while the step cannot run (the program off, no such
reward, a reward that gives no coupon), the reason on its field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition
from tenure.ideas.services import idea_create, idea_request_add
from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry
from tenure.loyalty.services import program_update
from tenure.loyalty.steps import award_points_run
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.models import StepRun
from tenure.playbooks.services import playbook_create
from tenure.playbooks.triggers import TRIGGERS
from tenure.rewards.models import Coupon, Reward
from tenure.rewards.steps import coupon_issue, keyed_code
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def _reward(name: str = "Ten off", kind: str = "coupon") -> Reward:
    coupon = {"coupon_kind": "fixed", "coupon_value": Decimal("10.00"), "coupon_valid_days": 30}
    return Reward.objects.create(
        name=name, points_cost=100, kind=kind, created_at=timezone.now(), active=False,
        **(coupon if kind == "coupon" else {}),
    )  # fmt: skip


def _playbook(steps: list[dict], slug: str = "thank-who-asks"):
    return playbook_create(by=None, data={
        "name": slug, "slug": slug, "enabled": True,
        "trigger": {"type": "event", "kind": "idea.requested"}, "steps": steps,
    })  # fmt: skip


def _run_twice(customers) -> None:
    now = timezone.now()
    idea = idea_create(by=None, data={"title": "Dark mode"}, now=now)
    for who in customers:
        idea_request_add(by=None, idea_id=idea.pk, customer_id=who.pk, data={}, now=now)
    consumer_drain(TRIGGERS)
    while enrollments_advance(now=now + timedelta(minutes=1)):
        pass
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)  # every event again, as after a worker died
    while enrollments_advance(now=now + timedelta(minutes=2)):
        pass


def test_the_steps_award_points_and_issue_a_coupon_once_however_often_they_run():
    program_update(by=None, changes={"enabled": True})
    _reward()
    _playbook([
        {"kind": "award_points", "points": 25, "cause": "thanks for the idea"},
        {"kind": "issue_coupon", "reward": "ten off"},
    ])  # fmt: skip
    ann, bob = make_customer(), make_customer()
    _run_twice([ann, bob])

    earned = PointsEntry.objects.filter(kind=EntryKind.EARN).order_by("customer_id")
    assert [(e.customer_id, e.points, e.cause) for e in earned] == [
        (ann.pk, 25, "thanks for the idea"), (bob.pk, 25, "thanks for the idea"),
    ]  # fmt: skip
    assert LoyaltyBalance.objects.get(pk=ann.pk).balance == 25
    coupons = Coupon.objects.order_by("customer_id")
    assert [(c.customer_id, c.kind, c.value, c.max_uses, c.per_customer_limit)
            for c in coupons] == [(ann.pk, "fixed", Decimal("10.00"), 1, 1),
                                  (bob.pk, "fixed", Decimal("10.00"), 1, 1)]  # fmt: skip
    assert coupons[0].code != coupons[1].code
    details = sorted(run.detail for run in StepRun.objects.all())
    assert len(details) == 4 and details[0] == "25 points awarded (thanks for the idea)"
    assert all(c.code not in " ".join(details) for c in coupons)  # a code is a secret


def test_the_points_step_run_again_with_its_key_awards_once():
    program_update(by=None, changes={"enabled": True})
    ann = make_customer()
    now = timezone.now()
    first = award_points_run({"points": 40}, ann.pk, "playbook:1:0:9", now)
    again = award_points_run({"points": 40}, ann.pk, "playbook:1:0:9", now)
    assert (first, again) == (("done", "40 points awarded (bonus)"),
                              ("done", "40 points awarded already (bonus)"))  # fmt: skip
    assert LoyaltyBalance.objects.get(pk=ann.pk).balance == 40


def test_the_points_step_is_refused_while_the_program_is_off():
    with pytest.raises(ValidationError) as refused:
        _playbook([{"kind": "award_points", "points": 25}])
    assert "switched off" in " ".join(refused.value.message_dict["steps[0].points"])


def test_the_coupon_step_names_an_unknown_or_couponless_reward():
    with pytest.raises(ValidationError) as refused:
        _playbook([{"kind": "issue_coupon", "reward": "Nothing"}])
    assert "no reward 'Nothing'" in " ".join(refused.value.message_dict["steps[0].reward"])
    _reward("Mug", kind="other")
    with pytest.raises(ValidationError) as refused:
        _playbook([{"kind": "issue_coupon", "reward": "Mug"}], slug="mugs")
    assert "gives no coupon" in " ".join(refused.value.message_dict["steps[0].reward"])


def test_a_points_step_whose_program_was_switched_off_since_fails_in_words():
    program_update(by=None, changes={"enabled": True})
    _playbook([{"kind": "award_points", "points": 5}])
    program_update(by=None, changes={"enabled": False})
    _run_twice([make_customer()])
    assert not PointsEntry.objects.exists()
    run = StepRun.objects.get()
    assert "switched off" in run.detail


def test_issuing_by_hand_is_for_admins_and_managers_and_once_per_key():
    reward = _reward()
    ann = make_customer()
    now = timezone.now()
    first, new = coupon_issue(by=None, reward_id=reward.pk, customer_id=ann.pk, key="k", now=now)
    again, new_again = coupon_issue(by=make_user(role=Role.MANAGER), reward_id=reward.pk,
                                    customer_id=ann.pk, key="k", now=now)  # fmt: skip
    assert (new, new_again, again.pk) == (True, False, first.pk)
    assert first.code == keyed_code("k") != keyed_code("k2")
    assert first.expires_at == now + timedelta(days=30)
    with pytest.raises(ValidationError):  # the key was another customer's
        coupon_issue(by=None, reward_id=reward.pk, customer_id=make_customer().pk, key="k",
                     now=now)  # fmt: skip
    from tenure.access.scopes import AccessDenied

    with pytest.raises(AccessDenied):
        coupon_issue(by=make_user(role=Role.SUCCESS_MANAGER), reward_id=reward.pk,
                     customer_id=ann.pk, key="k3", now=now)  # fmt: skip


def test_an_email_after_the_coupon_step_prints_the_customers_code():
    from tenure.mail.composing import message_render
    from tenure.mail.models import Message
    from tenure.mail.services import template_create

    template_create(
        by=None, name="Your coupon", slug="your-coupon", kind="transactional",
        subject="A gift", text="Use {{ coupons[0].code }} for {{ coupons[0].value }} off.",
    )  # fmt: skip
    _reward()
    _playbook([
        {"kind": "issue_coupon", "reward": "ten off"},
        {"kind": "email", "template": "your-coupon", "class": "transactional"},
    ])  # fmt: skip
    ann = make_customer(email="ann@example.com")
    _run_twice([ann])

    coupon = Coupon.objects.get(customer=ann)
    message = Message.objects.get(customer=ann)  # once, however often the steps ran
    assert message.context["coupons"][0]["code"] == coupon.code
    assert message_render(message).text == f"Use {coupon.code} for 10.00 off."
    from tenure.rewards.selectors import coupons_for_mail

    later = timezone.now() + timedelta(days=31)  # the reward's coupons live 30 days
    assert coupons_for_mail(customer_id=ann.pk, now=later) == []
    Coupon.objects.filter(pk=coupon.pk).update(uses=1)  # used up
    assert coupons_for_mail(customer_id=ann.pk, now=timezone.now()) == []


def test_the_builtin_birthday_bonus_awards_100_points_once_a_year():
    from datetime import UTC, date, datetime

    from tenure.playbooks.builtin import playbooks_builtin_ensure
    from tenure.playbooks.models import Playbook
    from tenure.playbooks.services import playbook_enable
    from tenure.playbooks.triggers import daily_triggers

    playbooks_builtin_ensure()
    birthday = Playbook.objects.get(builtin="birthday_points")
    with pytest.raises(ValidationError, match="switched off"):
        playbook_enable(by=None, playbook_id=birthday.pk)  # the program is off
    program_update(by=None, changes={"enabled": True})
    playbook_enable(by=None, playbook_id=birthday.pk)
    ann = make_customer(time_zone="UTC", birthday=date(1990, 3, 1))
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for at in (noon, noon + timedelta(hours=3)):  # the daily job twice that day
        daily_triggers(now=at)
        while enrollments_advance(now=at + timedelta(minutes=1)):
            pass
    earned = PointsEntry.objects.filter(customer=ann, kind=EntryKind.EARN)
    assert [(e.points, e.cause) for e in earned] == [(100, "birthday bonus")]
