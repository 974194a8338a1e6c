"""The segments in the admin go through the services: a save validates the definition (each
problem named on the field) and fills the segment with its events; a delete lets the members
leave first; stays are read-only there."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tenure.events.models import Event
from tenure.segments.models import Segment, SegmentMembership
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

VIP = {"when": {"fact": "category", "op": "is", "value": "vip"}}


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(role="admin", is_staff=True))
    return client


def test_adding_in_the_admin_validates_and_fills_with_events(admin_client):
    vip = make_customer(category="vip")
    url = reverse("admin:segments_segment_add")

    refused = admin_client.post(url, {"name": "Bad", "definition": '{"when": {"fact": "nope"}}'})
    assert refused.status_code == 200 and "when.fact: unknown fact" in refused.content.decode()
    assert not Segment.objects.exists()

    done = admin_client.post(url, {"name": "VIPs", "definition": json.dumps(VIP), "shared": "on"})
    assert done.status_code == 302, done.content.decode()[:2000]
    segment = Segment.objects.get()
    assert segment.members_count == 1 and segment.owner is not None
    assert list(SegmentMembership.objects.values_list("customer_id", flat=True)) == [vip.pk]
    assert Event.objects.filter(kind="segment.entered", customer_id=vip.pk).exists()


def test_deleting_in_the_admin_lets_the_members_leave(admin_client):
    vip = make_customer(category="vip")
    admin_client.post(
        reverse("admin:segments_segment_add"), {"name": "VIPs", "definition": json.dumps(VIP)}
    )
    segment = Segment.objects.get()
    done = admin_client.post(
        reverse("admin:segments_segment_delete", args=[segment.pk]), {"post": "yes"}
    )
    assert done.status_code == 302
    assert not Segment.objects.exists()
    assert Event.objects.filter(kind="segment.left", customer_id=vip.pk).exists()


def test_stays_cannot_be_written_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:segments_segmentmembership_add")).status_code == 403
