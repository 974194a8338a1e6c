"""Structural rules are database constraints: they hold whatever code writes the rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tenure.customers.models import Consent, ConsentPurpose, Contact, Customer, Subscription
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_add, customer_stats_refresh
from tests.factories import T0, make_account, make_customer, make_order

pytestmark = pytest.mark.django_db


def _violates(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_customer_external_id_is_unique_and_not_empty():
    make_customer(external_id="C1")
    assert _violates(lambda: make_customer(external_id="C1"))
    assert _violates(lambda: make_customer(external_id=""))


def test_order_amount_cannot_be_negative_and_id_is_unique():
    customer = make_customer()
    assert _violates(lambda: make_order(customer=customer, amount=Decimal("-0.01")))
    make_order(customer=customer, external_id="O1")
    assert _violates(lambda: make_order(customer=customer, external_id="O1"))


def test_order_status_must_be_known():
    assert _violates(lambda: make_order(status="lost"))


def test_money_is_stored_as_exact_decimal():
    order = make_order(amount=Decimal("0.10"))
    make_order(customer=order.customer, amount=Decimal("0.20"))
    order.customer.refresh_from_db()
    assert order.customer.revenue == Decimal("0.30")  # not 0.30000000000000004
    assert isinstance(Order.objects.get(pk=order.pk).amount, Decimal)


def test_customer_with_orders_cannot_be_deleted_silently():
    order = make_order()
    with pytest.raises(ProtectedError):
        order.customer.delete()


def test_one_primary_contact_per_account():
    account = make_account()
    Contact.objects.create(account=account, first_name="A", is_primary=True)
    Contact.objects.create(account=account, first_name="B", is_primary=False)
    assert _violates(
        lambda: Contact.objects.create(account=account, first_name="C", is_primary=True)
    )


def test_subscription_rules():
    customer = make_customer()
    base = dict(
        customer=customer,
        plan="Pro",
        amount=Decimal("29.00"),
        currency="USD",
        interval="month",
        started_at=T0,
    )
    Subscription.objects.create(**base)
    assert _violates(lambda: Subscription.objects.create(**{**base, "amount": Decimal("-1")}))
    assert _violates(
        lambda: Subscription.objects.create(**base, cancelled_at=T0 - timedelta(days=1))
    )
    assert _violates(lambda: Subscription.objects.create(**base, cancellation_reason="price"))
    cancelled = Subscription.objects.create(
        **base, cancelled_at=T0 + timedelta(days=40), cancellation_reason="too expensive"
    )
    assert not cancelled.is_active
    # The same rules, said on their fields before the database is asked.
    with pytest.raises(ValidationError) as refused:
        Subscription(**base, cancellation_reason="price", cancelled_at=None).full_clean()
    assert refused.value.message_dict["cancellation_reason"] == [
        "a cancellation reason needs a cancellation date"
    ]
    with pytest.raises(ValidationError) as refused:
        Subscription(**base, cancelled_at=T0 - timedelta(days=1)).full_clean()
    assert refused.value.message_dict["cancelled_at"] == [
        "cannot be before the subscription started"
    ]


def test_interaction_cases_need_a_status_and_others_must_not_have_one():
    customer = make_customer()
    common = dict(customer=customer, occurred_at=T0, body="x")
    assert _violates(lambda: Interaction.objects.create(kind=InteractionKind.COMPLAINT, **common))
    assert _violates(
        lambda: Interaction.objects.create(kind=InteractionKind.CALL, status="open", **common)
    )
    complaint = Interaction.objects.create(
        kind=InteractionKind.COMPLAINT, status=CaseStatus.OPEN, **common
    )
    assert complaint.is_case
    assert _violates(
        lambda: Interaction.objects.create(
            kind=InteractionKind.TICKET, status=CaseStatus.OPEN, resolved_at=T0, **common
        )
    )


def test_interaction_belongs_to_a_customer_or_an_account():
    assert _violates(
        lambda: Interaction.objects.create(kind=InteractionKind.NOTE, occurred_at=T0, body="x")
    )
    Interaction.objects.create(
        kind=InteractionKind.MEETING, occurred_at=T0, account=make_account(), body="kick-off"
    )


def test_one_consent_row_per_purpose():
    customer = make_customer()
    Consent.objects.create(
        customer=customer, purpose=ConsentPurpose.EMAIL_MARKETING, granted=True, changed_at=T0
    )
    assert _violates(
        lambda: Consent.objects.create(
            customer=customer, purpose=ConsentPurpose.EMAIL_MARKETING, granted=False, changed_at=T0
        )
    )


def test_customer_stats_follow_completed_orders_only():
    customer = make_customer()
    make_order(customer=customer, amount=Decimal("30.00"), placed_at=T0)
    make_order(customer=customer, amount=Decimal("70.00"), placed_at=T0 + timedelta(days=9))
    make_order(
        customer=customer,
        amount=Decimal("500.00"),
        placed_at=T0 + timedelta(days=20),
        status="refunded",
    )
    customer.refresh_from_db()
    assert customer.orders_count == 2
    assert customer.revenue == Decimal("100.00")
    assert customer.average_order_value == Decimal("50.00")
    assert customer.first_order_at == T0
    assert customer.last_order_at == T0 + timedelta(days=9)

    Order.objects.filter(customer=customer).delete()
    assert customer_stats_refresh(customer_ids=[customer.id]) == 1
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue, customer.last_order_at) == (0, 0, None)
    assert customer.average_order_value is None


def test_customer_stats_add_equals_a_recount():
    """The import's shortcut (add new orders to the cache) must give what a recount gives, to
    the microsecond and the cent, on top of figures already cached."""
    customer = make_customer()
    make_order(customer=customer, amount=Decimal("19.99"), placed_at=T0 + timedelta(days=5))
    customer.refresh_from_db()
    new = [
        (T0 + timedelta(days=1, microseconds=123_457), Decimal("0.01"), "completed"),
        (T0 + timedelta(days=40, seconds=7, microseconds=999_999), Decimal("1234.56"), "completed"),
        (T0 + timedelta(days=60), Decimal("99.00"), "refunded"),
    ]
    with transaction.atomic():
        for placed_at, amount, status in new:
            Order.objects.create(
                customer=customer,
                external_id=f"N{placed_at.timestamp()}",
                placed_at=placed_at,
                amount=amount,
                currency="USD",
                status=status,
            )
        assert customer_stats_add(new_orders=[(customer.id, *order) for order in new]) == 1
    added = Customer.objects.values_list(*_FIGURES).get(pk=customer.pk)
    customer_stats_refresh(customer_ids=[customer.id])
    recounted = Customer.objects.values_list(*_FIGURES).get(pk=customer.pk)
    assert added == recounted
    assert added == (
        T0 + timedelta(days=1, microseconds=123_457),
        T0 + timedelta(days=40, seconds=7, microseconds=999_999),
        3,
        Decimal("1254.56"),
    )


_FIGURES = ("first_order_at", "last_order_at", "orders_count", "revenue")
