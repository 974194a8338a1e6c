"""Who is in a segment: stays (entered, left) with their events, one customer's change
re-evaluated by the consumer, the nightly refresh, deletion, a person's export and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tenure.customers.models import Consent
from tenure.customers.services import customer_update
from tenure.events.models import Event
from tenure.orders.services import order_create
from tenure.privacy.services import person_erase, person_export
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.services import (
    segment_create,
    segment_delete,
    segment_update,
    segments_refresh,
    segments_refresh_customers,
)
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
VIP = {"when": {"fact": "category", "op": "is", "value": "vip"}}


def _open(segment):
    stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    return sorted(stays.values_list("customer_id", flat=True))


def _events(kind, segment):
    found = Event.objects.filter(kind=kind, subject_id=segment.pk).order_by("customer_id")
    return [(e.customer_id, e.data["slug"]) for e in found]


def test_creating_a_segment_fills_it_with_an_entered_event_each():
    vip1, vip2 = make_customer(category="vip"), make_customer(category=" vip ")
    make_customer(category="regular")

    segment = segment_create(by=make_user(), name="VIPs", definition=VIP, now=NOW)

    assert _open(segment) == [vip1.pk, vip2.pk]
    assert _events("segment.entered", segment) == [(vip1.pk, "vips"), (vip2.pk, "vips")]
    assert (segment.members_count, segment.refreshed_at) == (2, NOW)
    assert SegmentMembership.objects.get(customer=vip1).entered_at == NOW


def test_a_bad_definition_is_refused_on_its_field_and_nothing_is_stored():
    with pytest.raises(ValidationError) as refused:
        segment_create(by=make_user(), name="x", definition={"when": {"fact": "nope"}})
    assert any("when.fact" in m for m in refused.value.message_dict["definition"])
    assert not Segment.objects.exists()


def test_one_customers_change_moves_them_in_and_out_through_the_consumer(
    django_capture_on_commit_callbacks,
):
    stays, leaves = make_customer(category="vip"), make_customer(category="vip")
    joins = make_customer(category="regular")
    segment = segment_create(by=None, name="VIPs", definition=VIP, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer_id=joins.pk, changes={"category": "vip"})
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer_id=leaves.pk, changes={"category": "regular"})

    assert _open(segment) == sorted([stays.pk, joins.pk])
    assert _events("segment.left", segment) == [(leaves.pk, "vips")]
    closed = SegmentMembership.objects.get(customer=leaves)
    assert closed.left_at is not None and closed.left_at >= closed.entered_at
    assert Segment.objects.get(pk=segment.pk).members_count == 2


def test_an_order_placed_moves_its_customer_into_a_segment_of_buyers(
    django_capture_on_commit_callbacks,
):
    customer = make_customer()
    segment = segment_create(
        by=None,
        name="Buyers",
        definition={"when": {"fact": "orders_count", "op": ">=", "value": 1}},
    )
    assert _open(segment) == []

    with django_capture_on_commit_callbacks(execute=True):
        order_create(
            customer_id=customer.pk, external_id="O1", placed_at=NOW, amount=Decimal("20.00"),
            currency="USD",
        )  # fmt: skip

    assert _open(segment) == [customer.pk]


def test_a_consent_granted_is_read_as_a_fact(django_capture_on_commit_callbacks):
    customer = make_customer()
    segment = segment_create(
        by=None,
        name="Newsletter readers",
        definition={"when": {"fact": "consent_newsletter", "op": "==", "value": True}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        Consent.objects.create(
            customer=customer, purpose="newsletter", granted=True, changed_at=NOW
        )
    assert _open(segment) == [customer.pk]


def test_the_nightly_refresh_moves_those_whose_facts_changed_with_time_alone():
    quiet = make_customer()
    make_order(customer=quiet, placed_at=NOW - timedelta(days=20))
    segment = segment_create(
        by=None,
        name="Quiet",
        definition={"when": {"fact": "days_since_last_order", "op": ">", "value": 30}},
        now=NOW,
    )
    assert _open(segment) == []

    result = segments_refresh(now=NOW + timedelta(days=15))

    assert _open(segment) == [quiet.pk]
    assert (result.entered, result.left) == (1, 0)
    assert segments_refresh(now=NOW + timedelta(days=15)).entered == 0  # safe to run twice


def test_refreshing_customers_evaluates_every_segment_for_them_only():
    a, b = make_customer(category="vip"), make_customer(category="vip")
    vips = segment_create(by=None, name="VIPs", definition=VIP, now=NOW)
    leads = segment_create(
        by=None, name="Leads", definition={"when": {"fact": "is_lead", "op": "==", "value": True}}
    )
    a.category = b.category = "regular"
    a.save(), b.save()  # an edit no event told of (the test's own shortcut)

    result = segments_refresh_customers(customer_ids=[a.pk], now=NOW + timedelta(hours=1))

    assert _open(vips) == [b.pk]  # b was not asked about
    assert _open(leads) == sorted([a.pk, b.pk])
    assert [(c.segment_id, c.entered, c.left) for c in result.changes] == [(vips.pk, 0, 1)]


def test_one_open_stay_per_customer_and_segment():
    customer = make_customer(category="vip")
    segment = segment_create(by=None, name="VIPs", definition=VIP, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        SegmentMembership.objects.create(segment=segment, customer=customer, entered_at=NOW)


def test_a_new_definition_refreshes_and_a_deleted_segment_lets_its_members_leave():
    vip, regular = make_customer(category="vip"), make_customer(category="regular")
    owner = make_user()
    segment = segment_create(by=owner, name="VIPs", definition=VIP, now=NOW)

    segment_update(
        by=owner,
        segment_id=segment.pk,
        changes={"definition": {"when": {"fact": "category", "op": "is", "value": "regular"}}},
        now=NOW + timedelta(minutes=1),
    )
    assert _open(segment) == [regular.pk]
    assert _events("segment.left", segment) == [(vip.pk, "vips")]

    segment_delete(by=owner, segment_id=segment.pk, now=NOW + timedelta(minutes=2))
    assert not SegmentMembership.objects.exists()
    left = Event.objects.filter(kind="segment.left", customer_id=regular.pk).get()
    assert left.data["reason"] == "deleted"


def test_a_persons_export_lists_their_stays_and_erasure_removes_them():
    customer = make_customer(category="vip")
    segment_create(by=None, name="VIPs", definition=VIP, now=NOW)

    exported = person_export(customer_id=customer.pk)
    assert [s["segment"] for s in exported["segment_memberships"]] == ["VIPs"]

    erased = person_erase(customer_id=customer.pk)
    assert erased["segment_memberships"] == 1
    assert not SegmentMembership.objects.filter(customer=customer).exists()


def test_rfm_groups_rank_each_buyer_among_the_whole_base():
    from tenure.analytics.rfm import quantile_scores, rfm_groups
    from tenure.segments.models import RfmCutoffs

    buyers = []
    for n in range(1, 11):
        customer = make_customer()
        for k in range(n):  # n orders, the last one 11 - n days before NOW
            make_order(customer=customer, placed_at=NOW - timedelta(days=11 - n + 30 * k))
        buyers.append(customer)
    make_customer()  # no order: no group
    f = quantile_scores([n for n in range(1, 11)])
    r = quantile_scores([11 - n for n in range(1, 11)], higher_is_better=False)
    groups = rfm_groups(r, f)
    wanted = {b.pk for b, g in zip(buyers, groups, strict=True) if g == "champions"}
    assert wanted  # the recent, frequent end of this base

    segment = segment_create(
        by=None,
        name="Champions",
        definition={"when": {"fact": "rfm_group", "op": "is", "value": "champions"}},
        now=NOW,
    )
    assert set(_open(segment)) == wanted
    assert not RfmCutoffs.objects.exists()  # before a nightly, scored against the base now

    segments_refresh(now=NOW)
    stored = RfmCutoffs.objects.get()
    assert stored.buyers == 10 and len(stored.frequency) == 4
    assert set(_open(segment)) == wanted


def test_the_nightly_refresh_leaves_who_changed_meanwhile_to_the_live_consumer():
    quiet = make_customer()
    make_order(customer=quiet, placed_at=NOW - timedelta(days=45))
    anyone = {"when": {"fact": "orders_count", "op": ">=", "value": 0}}
    first = segment_create(by=None, name="Everyone", definition=anyone, now=NOW)
    segment = segment_create(
        by=None, name="Quiet", now=NOW - timedelta(days=30),
        definition={"when": {"fact": "days_since_last_order", "op": ">", "value": 30}},
    )  # fmt: skip
    assert _open(segment) == []
    placed = []

    def on_progress(done: int, everyone: int) -> None:
        if done == 1:  # the base was read; the first segment is stored, the second not yet
            placed.append(make_order(customer=quiet, placed_at=NOW))

    segments_refresh(now=NOW, on_progress=on_progress)

    assert placed and first.pk < segment.pk
    assert _open(segment) == []  # the nightly's reading (quiet) was older than the order
    segments_refresh_customers(customer_ids=[quiet.pk], now=NOW)  # what the consumer does
    assert _open(segment) == []
    segments_refresh(now=NOW + timedelta(days=31))  # the next night, nothing new meanwhile
    assert _open(segment) == [quiet.pk]
