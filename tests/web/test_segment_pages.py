"""The segment pages: the builder's rows become a definition, the live count (an htmx
fragment), problems named by path, a segment's members and their export, and the customers
list narrowed to a segment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.segments.models import Segment
from tenure.segments.services import segment_create
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db

VIPS = {"name": "VIPs", "match": "all", "fact_0": "category", "op_0": "is", "value_0": "vip"}


def test_the_live_count_follows_the_rows(signed_in, book):
    response = signed_in.post(reverse("web:segment-preview"), VIPS, **htmx("preview"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="preview-count">2</strong> of 4 customers' in page
    assert "Grace" in page and "Edsger" not in page

    rich = {**VIPS, "match": "any", "fact_1": "orders_count", "op_1": ">=", "value_1": "1"}
    page = signed_in.post(reverse("web:segment-preview"), rich, **htmx("preview")).content
    assert b'<strong id="preview-count">3</strong>' in page  # Alan bought once
    assert not Segment.objects.exists()


def test_a_row_the_grammar_refuses_is_named_by_its_path(signed_in, book):
    bad = {**VIPS, "fact_0": "orders_count", "op_0": "is", "value_0": "many"}
    page = signed_in.post(reverse("web:segment-preview"), bad).content.decode()
    assert "when.all[0].op" in page
    response = signed_in.post(reverse("web:segment-new"), bad)
    assert response.status_code == 422 and "when.all[0].op" in response.content.decode()
    assert not Segment.objects.exists()


def test_saving_a_segment_shows_its_members_and_exports_them(signed_in, book):
    response = signed_in.post(reverse("web:segment-new"), VIPS)
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:segment", args=[segment.pk]
    )
    assert segment.definition["when"] == {"all": [{"fact": "category", "op": "is", "value": "vip"}]}

    page = signed_in.get(reverse("web:segment", args=[segment.pk])).content.decode()
    assert "category is “vip”" in page
    assert "Grace" in page and "Ada" in page and "Alan" not in page

    export = signed_in.get(reverse("web:segment-members-csv", args=[segment.pk]))
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("customer_id,") and len(lines) == 3


def test_the_json_is_used_when_given(signed_in, book):
    data = {
        "name": "Buyers",
        "definition": '{"when": {"fact": "orders_count", "op": ">=", "value": 1}}',
    }
    signed_in.post(reverse("web:segment-new"), data)
    assert Segment.objects.get().members_count == 3


def test_the_customers_list_narrows_to_a_segment(signed_in, book):
    segment = segment_create(by=None, name="VIPs", definition={"when": VIP_WHEN})
    page = signed_in.get(reverse("web:customers"), {"in_segment": segment.pk}).content.decode()
    assert "Grace" in page and "Edsger" not in page
    assert f'<option value="{segment.pk}" selected>VIPs</option>' in page


VIP_WHEN = {"fact": "category", "op": "is", "value": "vip"}
