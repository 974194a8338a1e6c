"""End to end, through the API, the orders' events and the nightly step (issue 17's
acceptance): a referred customer's first order, after the refund window, rewards both, once;
a refund inside the window rewards no one, with the reason; a self-referral (the same email
with a +tag) is blocked with its reason until an admin unblocks it, and only an admin may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.events.models import Event
from tenure.feedback.models import Referral, ReferralStatus
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start
from tenure.loyalty.models import LoyaltyBalance, PointsEntry
from tenure.referrals.models import AttributionStatus, ReferralAttribution
from tenure.referrals.tasks import REWARD_RUN
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _reward_step() -> dict:
    """The nightly step, run by the jobs' runner as the worker runs it."""
    run, _ = run_start(kind=REWARD_RUN, by=None, queue=False)
    run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "done", run.error
    return run.result


def _balance(customer_id: int) -> int:
    row = LoyaltyBalance.objects.filter(pk=customer_id).first()
    return row.balance if row else 0


def _new_customer(api: Api, n: int, email: str) -> int:
    made = api.post("/customers", {"external_id": f"REF-{n}", "first_name": "Bea",
                                   "email": email})  # fmt: skip
    assert made.status_code == 201, made.content
    return made.json()["id"]


def _order(api: Api, customer_id: int, n: int, amount: str = "40.00") -> int:
    placed = api.post("/orders", {
        "external_id": f"REF-O-{n}", "customer_id": customer_id, "amount": amount,
        "currency": "USD", "placed_at": timezone.now().isoformat(),
    })  # fmt: skip
    assert placed.status_code == 201, placed.content
    return placed.json()["id"]


def _code(api: Api, customer_id: int) -> str:
    made = api.post(f"/loyalty/referrals/customers/{customer_id}/code", {})
    assert made.status_code == 201, made.content
    again = api.post(f"/loyalty/referrals/customers/{customer_id}/code", {})
    assert (again.status_code, again.json()["code"]) == (200, made.json()["code"])  # one each
    return made.json()["code"]


def test_a_referred_first_order_after_the_refund_window_rewards_both_once(
    client, rewards_on, clock, follow
):
    api = Api(client, role=Role.MANAGER)
    referrer = make_customer(email="ann@example.com")
    code = _code(api, referrer.pk)
    referred_id = _new_customer(api, 1, "bea@example.net")

    attributed = api.post("/loyalty/referrals/attribute",
                          {"code": code.lower(), "customer_id": referred_id})  # fmt: skip
    assert attributed.status_code == 201, attributed.content
    body = attributed.json()["referral"]
    assert (body["status"], body["referrer_id"]) == ("signed_up", referrer.pk)
    retried = api.post("/loyalty/referrals/attribute", {"code": code, "customer_id": referred_id})
    assert (retried.status_code, retried.json()["replayed"]) == (200, True)
    referral = Referral.objects.get(referrer=referrer, referred_customer_id=referred_id)
    assert referral.status == ReferralStatus.SIGNED_UP

    order_id = _order(api, referred_id, 1)  # the orders' events flow to the consumer
    _order(api, referred_id, 2, "10.00")  # a second order is not the one attributed
    follow()
    attribution = ReferralAttribution.objects.get(referred_id=referred_id)
    assert (attribution.status, attribution.order_id) == (AttributionStatus.ORDERED, order_id)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PURCHASED  # the referrer's advocacy, recorded
    assert attribution.due_at == attribution.ordered_at + timedelta(days=30)

    clock.move(days=29, hours=23)  # inside the window: nothing paid
    assert _reward_step()["waiting"] == 1
    assert _balance(referrer.pk) == 0
    assert _balance(referred_id) == 50  # the two orders' own points (40 + 10), no reward

    clock.move(days=1, hours=2)  # past it: both paid, once, however often the step runs
    first, second = _reward_step(), _reward_step()
    assert (first["rewarded"], second["rewarded"]) == (1, 0)
    attribution.refresh_from_db()
    assert (attribution.status, attribution.referrer_points, attribution.referred_points) == (
        AttributionStatus.REWARDED,
        100,
        50,
    )
    assert _balance(referrer.pk) == 100
    assert _balance(referred_id) == 100  # 50 of orders + 50 for joining through a referral
    keys = set(PointsEntry.objects.filter(source_key__contains="referral:").values_list(
        "source_key", flat=True))  # fmt: skip
    assert keys == {f"earn:{referrer.pk}:referral:{attribution.pk}:referrer",
                    f"earn:{referred_id}:referral:{attribution.pk}:referred"}  # fmt: skip
    rewarded = Event.objects.filter(kind="referral.rewarded")
    assert [(e.customer_id, e.subject_id, e.data["referrer_points"]) for e in rewarded] == [
        (referrer.pk, attribution.pk, 100)
    ]
    assert Event.objects.filter(kind="loyalty.earned", key__contains=":referral:").count() == 2
    shown = api.get(f"/loyalty/referrals/customers/{referrer.pk}").json()
    assert [r["status"] for r in shown["made"]] == ["rewarded"]
    assert shown["code"]["link"].endswith(f"/r/{code}/")


def test_a_refund_inside_the_window_rewards_no_one_and_says_why(client, rewards_on, clock, follow):
    api = Api(client, role=Role.MANAGER)
    referrer = make_customer(email="ann@example.com")
    code = _code(api, referrer.pk)
    referred_id = _new_customer(api, 2, "bea@example.net")
    assert api.post("/loyalty/referrals/attribute",
                    {"code": code, "customer_id": referred_id}).status_code == 201  # fmt: skip
    order_id = _order(api, referred_id, 3)
    follow()
    clock.move(days=10)
    assert api.patch(f"/orders/{order_id}", {"status": "refunded"}).status_code == 200
    follow()

    attribution = ReferralAttribution.objects.get(referred_id=referred_id)
    assert attribution.status == AttributionStatus.NOT_REWARDED
    assert attribution.reason == "the order was refunded before the reward was due"
    assert Referral.objects.get(pk=attribution.referral_id).status == ReferralStatus.SIGNED_UP
    clock.move(days=30)
    assert _reward_step()["rewarded"] == 0
    assert _balance(referrer.pk) == 0
    assert not Event.objects.filter(kind="referral.rewarded").exists()
    said = Event.objects.get(kind="referral.not_rewarded")
    assert said.data["reason"] == attribution.reason
    listed = api.get("/loyalty/referrals", status="not_rewarded").json()["items"]
    assert [(r["id"], r["reason"]) for r in listed] == [(attribution.pk, attribution.reason)]


def test_a_self_referral_is_blocked_until_an_admin_unblocks_it(client, rewards_on, clock, follow):
    manager = Api(client, role=Role.MANAGER)
    referrer = make_customer(email="Ann.Lee@example.com")
    code = _code(manager, referrer.pk)
    referred_id = _new_customer(manager, 3, "ann.lee+second@example.com")
    blocked = manager.post("/loyalty/referrals/attribute",
                           {"code": code, "customer_id": referred_id})  # fmt: skip
    assert blocked.status_code == 201
    reason = ("the same mailbox as the referrer's once case, a +tag and (at Gmail) dots are "
              "ignored")  # fmt: skip
    assert (blocked.json()["referral"]["status"], blocked.json()["referral"]["reason"]) == (
        "blocked",
        reason,
    )
    assert not Referral.objects.filter(referrer=referrer).exists()  # no advocacy while blocked
    listed = manager.get("/loyalty/referrals", status="blocked").json()["items"]
    assert [r["reason"] for r in listed] == [reason]
    _order(manager, referred_id, 4)
    follow()
    attribution = ReferralAttribution.objects.get(referred_id=referred_id)
    assert attribution.status == AttributionStatus.BLOCKED  # the order waits with it

    path = f"/loyalty/referrals/{attribution.pk}/override"
    for role in (Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER):
        refused = Api(client, role=role).post(path, {"reason": "her sister, same inbox"})
        assert refused.status_code == 403, (role, refused.content)
    attribution.refresh_from_db()
    assert attribution.status == AttributionStatus.BLOCKED
    admin = Api(client, role=Role.ADMIN)
    assert admin.post(path, {"reason": ""}).status_code == 422  # a reason is required
    unblocked = admin.post(path, {"reason": "her sister: they share an inbox"})
    assert unblocked.status_code == 200, unblocked.content
    body = unblocked.json()
    assert (body["status"], body["override_by_id"], body["override_reason"]) == (
        "ordered",
        admin.user.pk,
        "her sister: they share an inbox",
    )
    assert body["blocked_reason"] == reason and body["reason"] == ""
    assert admin.post(path, {"reason": "again"}).status_code == 409  # blocked no more
    assert Referral.objects.get(referrer=referrer).status == ReferralStatus.PURCHASED
    assert Event.objects.filter(kind="referral.unblocked", actor_id=admin.user.pk).count() == 1

    clock.move(days=31)
    assert _reward_step()["rewarded"] == 1
    assert (_balance(referrer.pk), _balance(referred_id)) == (100, 90)  # 40 + 50


def test_the_same_customer_stays_blocked_and_another_code_is_refused(client, rewards_on):
    api = Api(client, role=Role.ADMIN)
    ann = make_customer(email="ann@example.com")
    cy = make_customer(email="cy@example.org")
    own = api.post("/loyalty/referrals/attribute", {"code": _code(api, ann.pk),
                                                    "customer_id": ann.pk})  # fmt: skip
    assert own.json()["referral"]["reason"] == "the customer referred themselves"
    refused = api.post(f"/loyalty/referrals/{own.json()['referral']['id']}/override",
                       {"reason": "sure"})  # fmt: skip
    assert refused.status_code == 409
    assert "cannot refer themselves" in refused.json()["error"]["message"]
    other = api.post("/loyalty/referrals/attribute", {"code": _code(api, cy.pk),
                                                      "customer_id": ann.pk})  # fmt: skip
    assert other.status_code == 409  # ann was referred already (by herself)
    unknown = api.post("/loyalty/referrals/attribute", {"code": "ZZZZ", "customer_id": cy.pk})
    assert unknown.status_code == 422 and "code" in unknown.json()["error"]["fields"]


def test_a_customer_who_bought_long_ago_is_not_a_new_customer(client, rewards_on, clock):
    api = Api(client, role=Role.MANAGER)
    ann = make_customer(email="ann@example.com")
    old = make_customer(email="old@example.org")
    _order(api, old.pk, 5)
    clock.move(days=2)
    refused = api.post("/loyalty/referrals/attribute", {"code": _code(api, ann.pk),
                                                        "customer_id": old.pk})  # fmt: skip
    assert refused.status_code == 409
    assert "bought before" in refused.json()["error"]["message"]
    assert not ReferralAttribution.objects.exists()
