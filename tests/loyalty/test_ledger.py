"""The points ledger through its services and the orders' events: earning once per order,
reversals from the ledger, redemptions, cancels, adjustments, expiry and reconciliation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.events.models import ConsumerPosition, Event
from tenure.loyalty.models import EntryKind, LotUse, LoyaltyBalance, PointsEntry, PointsLot
from tenure.loyalty.selectors import balances_reconcile
from tenure.loyalty.services import (
    PointsRefused,
    lots_expire_due,
    points_adjust,
    points_earn,
    points_redeem,
    program_update,
    redemption_cancel,
)
from tenure.orders.services import order_create, order_update
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def _order(customer, amount="100.00", n=1, **fields):
    return order_create(
        external_id=f"L-{customer.pk}-{n}", customer_id=customer.pk,
        placed_at=timezone.now() - timedelta(days=1), amount=Decimal(amount), currency="USD",
        **fields,
    )  # fmt: skip


def _balance(customer) -> int:
    row = LoyaltyBalance.objects.filter(pk=customer.pk).first()
    return row.balance if row else 0


def _ledger_sum(customer) -> int:
    return sum(PointsEntry.objects.filter(customer=customer).values_list("points", flat=True))


def test_earn_100_redeem_80_refund_the_order_balance_minus_80_with_reason_reversal(
    program_on, follow
):
    customer = make_customer()
    order = _order(customer, "100.00")
    follow()
    assert _balance(customer) == 100
    points_redeem(by=None, customer_id=customer.pk, points=80, key="pos-1", now=timezone.now())
    assert _balance(customer) == 20
    order_update(order_id=order.pk, changes={"status": "refunded"})
    follow()
    assert _balance(customer) == -80
    reversal = PointsEntry.objects.get(customer=customer, kind=EntryKind.REVERSE)
    assert reversal.points == -100
    assert reversal.cause.startswith("reversal")
    assert reversal.reverses.source_key == f"order:{order.pk}:earn"
    assert LoyaltyBalance.objects.get(pk=customer.pk).debt == 80
    assert _ledger_sum(customer) == -80
    assert balances_reconcile()[1] == []
    # Redemptions wait while the balance is below zero.
    with pytest.raises(PointsRefused, match="balance -80, asked 1"):
        points_redeem(by=None, customer_id=customer.pk, points=1, key="pos-2", now=timezone.now())


def test_an_order_event_delivered_three_times_earns_once(program_on, follow):
    customer = make_customer()
    _order(customer, "42.50")
    for _ in range(3):
        ConsumerPosition.objects.filter(name="loyalty.points").update(tx=0, event_id=0)
        follow()
    earns = PointsEntry.objects.filter(customer=customer, kind=EntryKind.EARN)
    assert [e.points for e in earns] == [42]  # floor(42.50 x 1)
    assert PointsLot.objects.filter(customer=customer).count() == 1
    assert _balance(customer) == 42
    assert Event.objects.filter(kind="loyalty.earned", customer_id=customer.pk).count() == 1


def test_a_switched_off_program_earns_nothing(db, follow):
    customer = make_customer()
    _order(customer)
    follow()
    assert not PointsEntry.objects.filter(customer=customer).exists()


def test_partial_refunds_reverse_pro_rata_and_the_last_the_remainder(program_on, follow):
    program_update(by=None, changes={"points_per_unit": Decimal("3.3334")})
    customer = make_customer()
    order = _order(customer, "30.00")
    follow()
    earn = PointsEntry.objects.get(kind=EntryKind.EARN)
    assert earn.points == 100  # floor(30 x 3.3334 = 100.002)
    # A later rate is not used: the reversals read the ledger's 100 points and 30.00.
    program_update(by=None, changes={"points_per_unit": Decimal("50")})
    for amount in ("20.00", "10.00"):  # 10.00 refunded, then 20.00 of 30.00
        order_update(order_id=order.pk, changes={"amount": Decimal(amount)})
        follow()
    order_update(order_id=order.pk, changes={"status": "refunded"})
    follow()
    reversals = PointsEntry.objects.filter(kind=EntryKind.REVERSE).order_by("id")
    # floor(100 x 10/30) = 33, floor(100 x 20/30) - 33 = 33, the rest 100 - 66 = 34.
    assert [r.points for r in reversals] == [-33, -33, -34]
    assert _balance(customer) == 0
    assert LoyaltyBalance.objects.get(pk=customer.pk).earned == 0


def test_redeem_more_than_the_balance_is_refused_with_both_numbers(program_on, follow):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k1", now=timezone.now(), points=40)
    with pytest.raises(PointsRefused, match="balance 40, asked 80"):
        points_redeem(by=None, customer_id=customer.pk, points=80, key="r1", now=timezone.now())
    assert _balance(customer) == 40
    assert not PointsEntry.objects.filter(kind=EntryKind.REDEEM).exists()


def test_a_retried_redemption_with_the_same_key_has_no_second_effect(program_on):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k1", now=timezone.now(), points=100)
    first, new = points_redeem(
        by=None, customer_id=customer.pk, points=30, key="till-7", now=timezone.now()
    )
    again, new_again = points_redeem(
        by=None, customer_id=customer.pk, points=30, key="till-7", now=timezone.now()
    )
    assert (new, new_again, again.pk) == (True, False, first.pk)
    assert _balance(customer) == 70


def test_cancelling_a_redemption_restores_its_lots_with_their_expiry(program_on):
    customer = make_customer()
    now = timezone.now()
    points_earn(by=None, customer_id=customer.pk, key="a", now=now, points=30)
    points_earn(by=None, customer_id=customer.pk, key="b", now=now + timedelta(days=1), points=50)
    redemption, _ = points_redeem(by=None, customer_id=customer.pk, points=60, key="r", now=now)
    taken = dict(LotUse.objects.filter(entry=redemption).values_list("lot_id", "points"))
    lots = list(PointsLot.objects.filter(customer=customer).order_by("earned_at"))
    assert taken == {lots[0].pk: 30, lots[1].pk: 30}  # the sooner-expiring lot first
    restore, _ = redemption_cancel(by=None, entry_id=redemption.pk, now=now)
    again, new = redemption_cancel(by=None, entry_id=redemption.pk, now=now)
    assert (again.pk, new) == (restore.pk, False)
    assert restore.points == 60 and restore.reverses_id == redemption.pk
    remaining = {lot.pk: (lot.remaining, lot.expires_at) for lot in PointsLot.objects.all()}
    assert remaining == {lots[0].pk: (30, lots[0].expires_at), lots[1].pk: (50, lots[1].expires_at)}
    assert _balance(customer) == 80
    assert balances_reconcile()[1] == []


def test_expiry_writes_one_entry_per_lot_remainder_once(program_on):
    customer = make_customer()
    then = timezone.now() - timedelta(days=400)
    points_earn(by=None, customer_id=customer.pk, key="old", now=then, points=100)
    points_earn(by=None, customer_id=customer.pk, key="new", now=timezone.now(), points=10)
    points_redeem(by=None, customer_id=customer.pk, points=60, key="r", now=then)
    done = lots_expire_due(now=timezone.now())
    assert done == {"customers": 1, "lots": 1, "points": 40}
    assert lots_expire_due(now=timezone.now())["lots"] == 0
    expired = PointsEntry.objects.get(kind=EntryKind.EXPIRE)
    assert expired.points == -40 and expired.source_key.endswith(":expire")
    assert _balance(customer) == 10
    assert balances_reconcile() == (1, [])


def test_reconciliation_reports_a_mismatch_and_fixes_nothing(program_on):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k", now=timezone.now(), points=25)
    LoyaltyBalance.objects.filter(pk=customer.pk).update(balance=30)
    checked, mismatches = balances_reconcile()
    assert checked == 1
    assert [m.words() for m in mismatches] == [
        f"customer {customer.pk}: cached balance 30, ledger sum 25, lots 25 less debt 0"
    ]
    assert _balance(customer) == 30


def test_who_may_move_points(program_on):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    own, other = make_customer(owner=mine), make_customer(owner=make_user(role=Role.MANAGER))
    now = timezone.now()
    points_earn(by=mine, customer_id=own.pk, key="e", now=now, points=10)
    with pytest.raises(Http404):
        points_earn(by=mine, customer_id=other.pk, key="e2", now=now, points=10)
    with pytest.raises(AccessDenied):
        points_earn(by=make_user(role=Role.ANALYST), customer_id=own.pk, key="e3", now=now,
                    points=10)  # fmt: skip
    with pytest.raises(AccessDenied):
        points_adjust(by=mine, customer_id=own.pk, points=5, cause="goodwill", key="a", now=now)
    entry, _ = points_adjust(
        by=make_user(role=Role.MANAGER), customer_id=own.pk, points=-4, cause="typo", key="a",
        now=now,
    )  # fmt: skip
    assert (entry.kind, entry.points, entry.cause) == ("adjust", -4, "typo")
    assert _balance(own) == 6


def test_bad_input_names_the_field(program_on):
    customer = make_customer()
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        points_redeem(by=None, customer_id=customer.pk, points=0, key="x", now=now)
    assert "points" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        points_adjust(by=None, customer_id=customer.pk, points=5, cause=" ", key="x", now=now)
    assert "cause" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        points_earn(by=None, customer_id=customer.pk, key="", now=now, points=5)
    assert "key" in error.value.message_dict
    with pytest.raises(ValidationError, match="passes the floor"):
        points_adjust(by=None, customer_id=customer.pk, points=-501, cause="x", key="y", now=now)


def test_earning_in_debt_pays_the_debt_first(program_on, follow):
    customer = make_customer()
    first = _order(customer, "100.00", n=1)
    follow()
    points_redeem(by=None, customer_id=customer.pk, points=100, key="r", now=timezone.now())
    order_update(order_id=first.pk, changes={"status": "cancelled"})
    follow()
    assert LoyaltyBalance.objects.get(pk=customer.pk).debt == 100
    _order(customer, "130.00", n=2)
    follow()
    row = LoyaltyBalance.objects.get(pk=customer.pk)
    assert (row.balance, row.debt) == (30, 0)
    lot = PointsLot.objects.get(entry__order__external_id=f"L-{customer.pk}-2")
    assert (lot.points, lot.remaining) == (130, 30)
    assert balances_reconcile()[1] == []


def test_a_persons_export_lists_their_points(program_on):
    from tenure.privacy.services import person_export

    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k", now=timezone.now(), points=12)
    exported = person_export(customer_id=customer.pk)["loyalty_points"]
    assert exported["balance"] == 12
    assert [(e["kind"], e["points"]) for e in exported["entries"]] == [("earn", 12)]
