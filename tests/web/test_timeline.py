"""customer_timeline: orders and interactions merged newest first, paged by a cursor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.customers.selectors import customer_timeline
from tenure.interactions.models import Interaction
from tenure.orders.models import Order
from tests.factories import T0, make_customer

# A few distinct instants, so that orders and interactions often share one.
moments = st.lists(st.sampled_from([T0 + timedelta(hours=h) for h in range(4)]), max_size=12)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order_times=moments, interaction_times=moments, limit=st.integers(1, 5))
def test_walking_the_pages_yields_every_entry_once_newest_first(
    order_times, interaction_times, limit
):
    customer = make_customer()
    for n, at in enumerate(order_times):
        Order.objects.create(
            customer=customer,
            external_id=f"{customer.external_id}-{n}",
            placed_at=at,
            amount=Decimal("1"),
            currency="USD",
        )
    for at in interaction_times:
        Interaction.objects.create(customer=customer, kind="note", occurred_at=at, body="x")

    seen, cursor, pages = [], None, 0
    while True:
        page = customer_timeline(customer=customer, before=cursor, limit=limit)
        assert len(page.entries) <= limit
        seen += [(entry.kind, entry.item.pk, entry.at) for entry in page.entries]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        assert pages < 100
    total = len(order_times) + len(interaction_times)
    assert len(seen) == total
    assert len(set(seen)) == total  # nothing twice
    times = [at for _, _, at in seen]
    assert times == sorted(times, reverse=True)
    assert pages == max(1, -(-total // limit))


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["", "garbage", "2025-01-01T00:00:00~9~1", "2025-01-01~1~x"])
def test_a_cursor_that_does_not_parse_means_the_first_page(cursor):
    customer = make_customer()
    Interaction.objects.create(customer=customer, kind="note", occurred_at=T0, body="x")
    assert len(customer_timeline(customer=customer, before=cursor).entries) == 1


@pytest.mark.django_db
def test_a_page_is_one_query_per_source_however_long_the_history(django_assert_num_queries):
    customer = make_customer()
    Order.objects.bulk_create(
        Order(
            customer=customer,
            external_id=f"B-{n}",
            placed_at=T0 + timedelta(minutes=n),
            amount=Decimal("1"),
            currency="USD",
        )
        for n in range(300)
    )
    # orders, interactions, answers, referrals, messages, tasks, stage moves, field changes,
    # comments and reviews (voices)
    with django_assert_num_queries(9):
        page = customer_timeline(customer=customer, limit=20)
    assert [entry.item.external_id for entry in page.entries][:2] == ["B-299", "B-298"]
