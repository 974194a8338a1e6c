"""The points consumer's set-wise earn in SQL (``tenure.loyalty.earn_sql``): the points the SQL
computes are the pure rule's for any amount, rate, multiplier and rounding; an order handled
twice earns once; the tier's multiplier is applied; a customer in debt in a big batch still
pays the debt first; the lots' expiry and the ``loyalty.earned`` events are those the ORM path
wrote."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenure.domain import loyalty as rules
from tenure.events.models import Event
from tenure.loyalty import earn_sql
from tenure.loyalty.events import entry_event
from tenure.loyalty.following import orders_earn
from tenure.loyalty.models import (
    CustomerTier,
    EntryKind,
    LotUse,
    LoyaltyBalance,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    PointsLot,
)
from tenure.loyalty.selectors import balances_reconcile
from tenure.loyalty.services import points_adjust, points_earn, points_redeem
from tenure.orders.models import Order
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
_n = itertools.count(1)


def _tier(multiplier: str, rank: int = 1) -> LoyaltyTier:
    return LoyaltyTier.objects.create(
        name=f"T{rank}-{multiplier}", rank=rank, threshold=Decimal(100 * rank),
        multiplier=Decimal(multiplier),
    )  # fmt: skip


def _hold(customer, tier: LoyaltyTier | None) -> None:
    CustomerTier.objects.update_or_create(customer=customer, defaults={"tier": tier})


def _placed(customer, amounts, *, at: datetime = AT, status: str = "completed") -> list[Event]:
    """Orders stored set-wise (no events of their own) and their ``order.placed`` events, the
    amounts as given (text as the orders' events write them, or anything else)."""
    orders = Order.objects.bulk_create(
        [
            Order(external_id=f"SW-{next(_n)}", customer=customer, placed_at=at,
                  amount=Decimal(str(amount)) if _plain(amount) else Decimal("1"),
                  currency="EUR")
            for amount in amounts
        ]
    )  # fmt: skip
    ids = dict(
        Order.objects.filter(external_id__in=[o.external_id for o in orders]).values_list(
            "external_id", "pk"
        )
    )
    return Event.objects.bulk_create(
        [
            Event(kind="order.placed", key=f"test.placed:{ids[o.external_id]}",
                  customer_id=customer.pk, subject="order", subject_id=ids[o.external_id],
                  at=at, via="import",
                  data={"status": status, "amount": amount, "currency": "EUR"})
            for o, amount in zip(orders, amounts, strict=True)
        ]
    )  # fmt: skip


def _plain(amount) -> bool:
    try:
        return Decimal(str(amount)) >= 0
    except ArithmeticError:
        return False


def _program(per_unit="1", rounding="floor", lifetime: int | None = 365) -> LoyaltyProgram:
    from tenure.loyalty.selectors import program

    row = program()
    row.enabled, row.points_per_unit, row.rounding = True, Decimal(per_unit), rounding
    row.lot_lifetime_days, row.negative_floor = lifetime, -500
    row.save()
    return row


def _points(events: list[Event]) -> dict[int, int]:
    return dict(
        PointsEntry.objects.filter(
            order_id__in=[e.subject_id for e in events], kind=EntryKind.EARN
        ).values_list("order_id", "points")
    )


amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(
    per_unit=st.decimals(min_value=0, max_value=1000, places=4),
    multiplier=st.decimals(min_value=1, max_value=10, places=3),
    rounding=st.sampled_from(["floor", "half_up"]),
    values=st.lists(amounts, min_size=1, max_size=8),
)
def test_the_sql_points_are_the_pure_rules_for_any_amount_rate_and_multiplier(
    db, per_unit, multiplier, rounding, values
):
    assume(max(values) * per_unit * multiplier < 2**31)  # points are a 32-bit column
    with transaction.atomic():
        _program(str(per_unit), rounding)
        plain, tiered = make_customer(), make_customer()
        _hold(tiered, _tier(str(multiplier)))
        texts = [format(v, ".2f") for v in values]
        events = _placed(plain, texts) + _placed(tiered, texts)
        orders_earn(events, now=timezone.now())
        got = _points(events)
        for event in events:
            rate = per_unit * (multiplier if event.customer_id == tiered.pk else Decimal(1))
            want = rules.points_for(Decimal(event.data["amount"]), rate, rounding)
            assert got.get(event.subject_id, 0) == want, (event.data["amount"], rate, rounding)
        # Amounts of more than 6 digits before the point went by the Python rule here
        # (cents x rate x 10**7 could pass 2**63), the others by SQL: both checked above.
        transaction.set_rollback(True)


def test_hand_worked_half_up_and_floor_with_a_tier_multiplier(db):
    customer = make_customer()
    _hold(customer, _tier("1.5"))
    _program("1", "half_up")
    events = _placed(customer, ["100.33", "100.35", "101.00"])
    assert orders_earn(events, now=timezone.now()) == 3
    # 100.33 x 1.5 = 150.495 -> 150; 100.35 x 1.5 = 150.525 -> 151; 101 x 1.5 = 151.5 -> 152
    assert sorted(_points(events).values()) == [150, 151, 152]
    entry = PointsEntry.objects.get(order_id=events[0].subject_id)
    assert (entry.multiplier, entry.amount) == (Decimal("1.500"), Decimal("100.33"))
    assert entry.cause == f"order {events[0].subject_id} (x1.5 tier)"
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 453


def test_floor_rounding_and_a_rate_with_four_places(db):
    customer = make_customer()
    _program("0.0125", "floor")
    events = _placed(customer, ["799.99", "800.00"])  # x 0.0125 = 9.999875 and 10
    orders_earn(events, now=timezone.now())
    assert [_points(events)[e.subject_id] for e in events] == [9, 10]
    entry = PointsEntry.objects.get(order_id=events[1].subject_id)
    assert (entry.multiplier, entry.cause) == (Decimal("1"), f"order {events[1].subject_id}")


def test_an_order_handled_twice_earns_once(db):
    _program()
    customers = [make_customer() for _ in range(3)]
    events = [e for c in customers for e in _placed(c, ["10.00", "20.50", "0.99"])]
    assert orders_earn(events, now=timezone.now()) == 6  # 0.99 earns 0 points: no entry
    assert orders_earn(events, now=timezone.now()) == 0
    assert orders_earn(events[:2], now=timezone.now()) == 0
    assert PointsEntry.objects.count() == PointsLot.objects.count() == 6
    assert Event.objects.filter(kind="loyalty.earned").count() == 6
    assert sorted(LoyaltyBalance.objects.values_list("balance", flat=True)) == [30, 30, 30]
    assert balances_reconcile() == (3, [])


def test_amounts_sql_does_not_compute_go_by_the_rule_with_the_same_result(db):
    _program("1", "half_up")
    customer = make_customer()
    events = _placed(customer, ["12.5", 7.45, "1e2", "abc", "-5.00", "3.50"])
    assert orders_earn(events, now=timezone.now()) == 4  # "abc" and -5 earn nothing
    got = [_points(events).get(e.subject_id) for e in events]
    assert got == [13, 7, 100, None, None, 4]
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 124


def test_an_order_gone_or_not_completed_earns_nothing(db):
    _program()
    customer = make_customer()
    events = _placed(customer, ["10.00", "20.00"]) + _placed(customer, ["5.00"], status="refunded")
    Order.objects.filter(pk=events[0].subject_id).delete()
    assert orders_earn(events, now=timezone.now()) == 1
    assert list(_points(events).values()) == [20]


def test_a_lot_expires_its_lifetime_after_the_order_to_the_microsecond(db):
    _program(lifetime=365)
    customer = make_customer()
    events = _placed(customer, ["10.00"], at=AT) + _placed(
        customer, ["7.00"], at=AT.replace(microsecond=0)
    )
    orders_earn(events, now=timezone.now())
    lots = {lot.entry.order_id: lot for lot in PointsLot.objects.select_related("entry")}
    assert lots[events[0].subject_id].earned_at == AT
    assert lots[events[0].subject_id].expires_at == AT + timedelta(days=365)
    assert lots[events[1].subject_id].expires_at == AT.replace(microsecond=0) + timedelta(days=365)
    _program(lifetime=None)
    later = _placed(customer, ["3.00"])
    orders_earn(later, now=timezone.now())
    assert PointsLot.objects.get(entry__order_id=later[0].subject_id).expires_at is None


def test_a_customer_in_debt_in_a_big_batch_pays_the_debt_first(db):
    _program()
    now = timezone.now()
    debtor = make_customer()
    points_adjust(by=None, customer_id=debtor.pk, points=100, cause="gift", key="g", now=now)
    points_redeem(by=None, customer_id=debtor.pk, points=100, key="r", now=now)
    points_adjust(by=None, customer_id=debtor.pk, points=-100, cause="fix", key="f", now=now)
    assert LoyaltyBalance.objects.get(pk=debtor.pk).debt == 100
    others = [make_customer() for _ in range(40)]
    events = [e for c in others[:20] for e in _placed(c, ["15.00", "5.00"])]
    events += _placed(debtor, ["60.00", "70.00"])
    events += [e for c in others[20:] for e in _placed(c, ["15.00", "5.00"])]
    assert orders_earn(events, now=now) == 82
    row = LoyaltyBalance.objects.get(pk=debtor.pk)
    assert (row.balance, row.debt, row.earned) == (30, 0, 130)
    first, second = (
        PointsLot.objects.get(entry__order_id=e.subject_id) for e in events[40:42]
    )  # fmt: skip
    # One by one as before, the latest order first: 70 pay 70 of the debt, then 60 the last 30.
    assert (first.points, first.remaining, second.points, second.remaining) == (60, 30, 70, 0)
    assert LotUse.objects.filter(lot__in=[first, second]).count() == 2
    assert set(LoyaltyBalance.objects.exclude(pk=debtor.pk).values_list("balance", flat=True)) == {
        20
    }
    assert balances_reconcile()[1] == []


def test_the_events_are_those_the_orm_path_writes(db):
    _program()
    customer = make_customer()
    events = _placed(customer, ["10.00", "25.00"])
    orders_earn(events, now=timezone.now())
    by_api, _ = points_earn(by=None, customer_id=customer.pk, key="k", now=timezone.now(), points=5)
    written = {e.key: e for e in Event.objects.filter(kind="loyalty.earned")}
    assert len(written) == 3
    for entry in PointsEntry.objects.filter(kind=EntryKind.EARN):
        want = entry_event(entry)
        got = written[want.key]
        assert (got.kind, got.subject, got.subject_id, got.customer_id) == (
            want.kind, want.subject, want.subject_id, want.customer_id,
        )  # fmt: skip
        assert got.data == dict(want.data) == {"points": entry.points, "written_off": 0}
        assert got.via == written[entry_event(by_api).key].via
        assert abs(got.at - timezone.now()) < timedelta(minutes=1)


def test_the_stage_reads_the_rates_of_the_tiers(db):
    program = _program("2")
    gold = _tier("1.25")
    rates = earn_sql.rates(program)
    assert rates is not None
    assert [(r.tier_id, r.scaled, r.suffix) for r in rates] == [
        (None, 20_000_000, ""), (gold.pk, 25_000_000, " (x1.25 tier)"),
    ]  # fmt: skip
    # cents x 2.5 x 10**7 + a half must stay below 2**63: amounts up to 9 digits go by SQL
    pattern = earn_sql.plain_amount(rates)
    assert pattern.fullmatch("123456789.00") and not pattern.fullmatch("1234567890.00")


def test_an_entry_id_given_before_is_never_given_again(db):
    _program()
    customer, gone = make_customer(), make_customer()
    orders_earn(_placed(gone, ["10.00"]), now=timezone.now())
    last = PointsEntry.objects.get().pk
    PointsEntry.objects.filter(customer=gone).delete()  # the customer's erasure, say
    events = _placed(customer, ["5.00", "6.00"])
    assert orders_earn(events, now=timezone.now()) == 2
    assert min(PointsEntry.objects.values_list("pk", flat=True)) > last
    lots = PointsLot.objects.filter(customer=customer).values_list("entry_id", "points")
    assert sorted(lots) == sorted(PointsEntry.objects.values_list("pk", "points"))


def test_the_cap_stops_an_orders_points_on_every_path(db):
    program = _program("1", "floor")
    program.max_points_per_order = 150
    program.save()
    customer = make_customer()
    _hold(customer, _tier("2"))
    # SQL: 60 x 2 = 120 (under), 100 x 2 = 200 (capped); the rule's path: "99.5" x 2 = 199.
    events = _placed(customer, ["60.00", "100.00", "99.5"])
    assert orders_earn(events, now=timezone.now()) == 3
    assert [_points(events)[e.subject_id] for e in events] == [120, 150, 150]
    causes = [PointsEntry.objects.get(order_id=e.subject_id).cause for e in events]
    assert causes == [
        f"order {events[0].subject_id} (x2 tier)",
        f"order {events[1].subject_id} (x2 tier) (capped at 150)",
        f"order {events[2].subject_id} (x2 tier) (capped at 150)",
    ]
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 420
    # A shop's earn with an amount is an order too; points given as a number are not.
    entry, _ = points_earn(by=None, customer_id=customer.pk, key="shop-1", now=AT,
                           amount=Decimal("500.00"))  # fmt: skip
    bonus, _ = points_earn(by=None, customer_id=customer.pk, key="bonus-1", now=AT, points=900)
    assert (entry.points, bonus.points) == (150, 900)
