"""A whole-base run on PostgreSQL stores chunk k on a second connection while it replays chunk
k + 1 (``lifecycle.pipeline``): it stores what the one-after-the-other run stores, and a chunk
whose customers changed between its read and its turn is replayed again before it is stored.

Transactional tests: the writer's connection sees only committed rows. On SQLite the run is
never pipelined (one writer), which the tests assert as well.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tenure.events.consumers import consumers_drain
from tenure.events.models import Event
from tenure.facts.chunks import chunks
from tenure.lifecycle import pipeline, services
from tenure.lifecycle.models import CustomerStage, RecomputeRun, StageTransition
from tenure.lifecycle.services import customer_stage_move, lifecycle_recompute
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = connection.vendor == "postgresql"


def _business(now):
    """24 customers (ids in chunks of 5: five chunks), 0 to 5 orders each at varied gaps, all
    over 35 days ago; the 13th (third chunk) a steady buyer every 20 days, the last 65 days
    ago: retained 30 days ago, at risk 25 days ago (40 days after the last order), churned 5
    days ago (60 days after)."""
    made = []
    for n in range(24):
        customer = make_customer(external_id=f"c{n}")
        days = (105, 85, 65) if n == 12 else [35 + 37 * k + 13 * n for k in range(n % 6)]
        for k, ago in enumerate(days):
            make_order(
                customer=customer, external_id=f"c{n}-{k}", amount=Decimal("30.00") + k,
                placed_at=now - timedelta(days=ago),
            )  # fmt: skip
        made.append(customer)
    _forget()  # placed as their orders came: a first recompute places them all again
    return made


def _stored():
    moves = sorted(
        StageTransition.objects.values_list(
            "customer_id", "from_stage", "to_stage", "rule", "reason", "effective_at", "step",
            "superseded_at",
        )
    )  # fmt: skip
    stages = sorted(CustomerStage.objects.values_list("customer_id", "stage", "entered_at"))
    events = sorted(Event.objects.filter(kind__startswith="stage.").values_list("key", "data"))
    return moves, stages, events


def _forget():
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    Event.objects.filter(kind__startswith="stage.").delete()
    RecomputeRun.objects.all().delete()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "chunks", partial(chunks, size=5))


def test_a_pipelined_run_stores_what_a_sequential_run_stores(monkeypatch, small_chunks):
    now = timezone.now()
    _business(now)
    stored_in_turn = []
    real = pipeline._store_in_turn

    def counted(plan, read):
        stored_in_turn.append(read.chunk.ids.tolist())
        return real(plan, read)

    monkeypatch.setattr(pipeline, "_store_in_turn", counted)
    run = lifecycle_recompute(now=now)
    pipelined = _stored()
    assert run.customers == run.moved == 24 and run.transitions == len(pipelined[0]) > 24
    # Five chunks, each stored once on a writer's connection (PostgreSQL only).
    assert len(stored_in_turn) == (5 if POSTGRES else 0)
    assert sorted(pk for ids in stored_in_turn for pk in ids) == (
        sorted(CustomerStage.objects.values_list("customer_id", flat=True)) if POSTGRES else []
    )

    _forget()
    with transaction.atomic():  # inside a transaction: never pipelined
        again = lifecycle_recompute(now=now)
    assert len(stored_in_turn) == (5 if POSTGRES else 0)
    assert again.counts == run.counts and again.moved == 24
    assert _stored() == pipelined


@pytest.mark.parametrize("change", ["move by hand", "order followed"])
def test_a_chunk_changed_after_its_read_is_replayed_again_in_its_turn(
    monkeypatch, small_chunks, change
):
    now = timezone.now()
    customers = _business(now)
    lifecycle_recompute(now=now - timedelta(days=30))  # the last run, a month ago
    steady = customers[12]
    assert CustomerStage.objects.get(customer=steady).stage == "retention"
    admin = make_user(role=Role.ADMIN, username="ada")
    real = pipeline._read
    changed = []

    def read_then_change(plan, part, orders):
        read = real(plan, part, orders)
        if steady.pk in part.ids.tolist() and not changed:
            # The chunk read the steady buyer as due to be at risk 25 days ago; committed
            # after its read, before its turn, something keeps them elsewhere.
            if change == "move by hand":
                customer_stage_move(
                    by=admin, customer_id=steady.pk, stage="advocacy", reason="Spoke for us",
                    now=now - timedelta(hours=1),
                )  # fmt: skip
            else:  # an order 27 days ago keyed in, before the at-risk moment: still retained
                order_create(
                    external_id="late", customer_id=steady.pk, currency="EUR",
                    placed_at=now - timedelta(days=27), amount=Decimal("25.00"),
                )  # fmt: skip
                consumers_drain()
            changed.append(CustomerStage.objects.get(customer=steady).stage)
        return read

    monkeypatch.setattr(pipeline, "_read", read_then_change)
    run = lifecycle_recompute(now=now)
    assert run.customers == 24
    stage = CustomerStage.objects.get(customer=steady)
    effective = StageTransition.objects.filter(customer=steady, superseded_at__isnull=True)
    moves = list(effective.order_by("effective_at", "step").values_list("to_stage", "rule"))
    if not POSTGRES:
        assert not changed  # one after the other: nothing comes between a read and its store
        assert stage.stage == "churned" and moves[-2:] == [
            ("at_risk", "slowing_down"), ("churned", "gone_silent")
        ]  # fmt: skip
        return
    # What the change gave stands: the chunk's stale replay did not store over it.
    assert changed == [stage.stage]
    at_risk = [move for move in moves if move[0] == "at_risk"]
    if change == "order followed":
        assert stage.stage == "retention" and not at_risk
    else:  # at risk 25 days ago as the rules say, then by hand, each move stored once
        assert ("advocacy", "by-hand") in moves and len(at_risk) == 1
        assert len(moves) == len(set(effective.values_list("effective_at", "step")))


def test_a_first_recompute_writes_each_stage_event_once_and_a_replaced_history_none_again(
    small_chunks,
):
    now = timezone.now()
    customers = _business(now)
    lifecycle_recompute(now=now)  # every chunk new: its events copied straight in
    entered = Event.objects.filter(kind="stage.entered")
    assert entered.count() == len(customers) and not Event.objects.filter(kind="stage.left")
    assert sorted(entered.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
    keys = set(Event.objects.values_list("key", flat=True))
    # Their stages taken away (a history replaced) but their events kept: placed again, the
    # same moves give the same keys, which are written once.
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    run = lifecycle_recompute(now=now)
    assert run.moved == len(customers)
    assert set(Event.objects.values_list("key", flat=True)) == keys
    assert Event.objects.filter(kind="stage.entered").count() == len(customers)
