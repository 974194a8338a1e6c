"""Order writers at the same moment, each in its own transaction and connection: the customers'
cached figures count every order (no lost update), and concurrent bulk requests over the same
customers in different orders wait for each other instead of deadlocking."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from tenure.customers.models import Customer
from tenure.orders.ingest import orders_ingest
from tenure.orders.models import Order
from tenure.orders.services import order_create, order_update
from tests.factories import T0, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Start every job at once, each in a thread with its own connection; the errors raised."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            with transaction.atomic():
                job()
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_orders_created_at_once_are_all_counted_in_the_figures():
    customer = make_customer()
    jobs = [
        (
            lambda n=n: order_create(
                external_id=f"C-{n}",
                customer_id=customer.pk,
                placed_at=T0 + timedelta(days=n),
                amount=Decimal("10.00"),
                currency="USD",
            )
        )
        for n in range(8)
    ]
    assert run_together(jobs) == []
    customer.refresh_from_db()
    assert customer.orders_count == 8
    assert customer.revenue == Decimal("80.00")
    assert customer.last_order_at == T0 + timedelta(days=7)


def test_refunds_at_once_are_all_taken_off_the_figures():
    customer = make_customer()
    orders = [
        order_create(
            external_id=f"R-{n}",
            customer_id=customer.pk,
            placed_at=T0 + timedelta(days=n),
            amount=Decimal("25.00"),
            currency="USD",
        )
        for n in range(6)
    ]
    jobs = [
        (lambda o=o: order_update(order_id=o.pk, changes={"status": "refunded"}))
        for o in orders[:4]
    ]
    assert run_together(jobs) == []
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (2, Decimal("50.00"))


def test_bulk_requests_over_the_same_customers_neither_deadlock_nor_lose_orders():
    customers = [make_customer(external_id=f"B-{n}") for n in range(12)]
    requests = []
    for r in range(4):
        rng = random.Random(r)
        batch = []
        for n in range(60):
            customer = rng.choice(customers)
            batch.append(
                {
                    "external_id": f"B-{r}-{n}",
                    "customer_id": customer.pk,
                    "placed_at": T0 + timedelta(hours=n),
                    "amount": Decimal("1.50"),
                    "currency": "USD",
                }
            )
        requests.append(batch)
    # Two of the requests also touch orders that exist: the one-by-one path with a recount.
    existing = order_create(
        external_id="B-existing",
        customer_id=customers[0].pk,
        placed_at=T0,
        amount=Decimal("5.00"),
        currency="USD",
    )
    for batch in requests[:2]:
        batch.append(
            {
                "external_id": existing.external_id,
                "customer_id": customers[-1].pk,
                "placed_at": T0,
                "amount": Decimal("5.00"),
                "currency": "USD",
            }
        )
    jobs = [(lambda batch=batch: orders_ingest(orders=batch)) for batch in requests]
    assert run_together(jobs) == []
    assert Order.objects.count() == 4 * 60 + 1
    for customer in Customer.objects.all():
        counted = Order.objects.filter(customer=customer, status="completed")
        assert customer.orders_count == counted.count(), customer.external_id
        total = sum((o.amount for o in counted), Decimal("0"))
        assert customer.revenue == total, customer.external_id


def test_lifecycle_follows_orders_written_at_once():
    """Each writer's commit replays the customer; the replays wait for each other, so none is
    lost to another's write and no move is stored twice."""
    from tenure.lifecycle.models import CustomerStage, StageTransition
    from tenure.lifecycle.services import lifecycle_recompute

    customer = make_customer()
    CustomerStage.objects.filter(customer=customer).delete()
    StageTransition.objects.filter(customer_id=customer.pk).delete()
    jobs = [
        (
            lambda n=n: order_create(
                external_id=f"L-{n}",
                customer_id=customer.pk,
                placed_at=T0 + timedelta(days=30 * n),
                amount=Decimal("10.00"),
                currency="USD",
            )
        )
        for n in range(8)
    ]
    assert run_together(jobs) == []
    live = list(
        StageTransition.objects.filter(customer_id=customer.pk, superseded_at__isnull=True)
        .order_by("effective_at", "step", "id")
        .values_list("effective_at", "from_stage", "to_stage")
    )
    assert len(live) == len(set(live)), "a move was stored twice"
    stage = CustomerStage.objects.get(customer=customer)
    lifecycle_recompute(customer_ids=[customer.pk], from_scratch=True)
    replayed = list(
        StageTransition.objects.filter(customer_id=customer.pk, superseded_at__isnull=True)
        .order_by("effective_at", "step", "id")
        .values_list("effective_at", "from_stage", "to_stage")
    )
    assert replayed == live
    assert CustomerStage.objects.get(customer=customer).stage == stage.stage
