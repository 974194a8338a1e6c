"""The same limits on every path: API bodies and queries, analytics parameters, body sizes,
pages' forms and the admin (``tenure.domain.limits``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from tenure.domain import limits
from tenure.interactions.models import Interaction
from tenure.orders.models import Order
from tests.api.helpers import Api
from tests.factories import make_customer, make_order, make_user
from tests.web.test_admin_writes import _post_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return Api(client)


def _order(customer, **fields):
    return {
        "external_id": "O1",
        "customer_id": customer.pk,
        "placed_at": "2025-01-01T10:00:00Z",
        "amount": "5.00",
        "currency": "EUR",
        **fields,
    }


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2200-01-01T00:00:00Z"]
)
def test_a_moment_outside_the_calendar_is_refused_by_name_and_nothing_is_stored(api, moment):
    customer = make_customer(external_id="C1")
    response = api.post("/orders", _order(customer, placed_at=moment))
    assert response.status_code == 422
    assert "outside the years 1900-2199" in response.json()["error"]["fields"]["placed_at"][0]
    assert not Order.objects.exists()


def test_an_offset_beyond_15_59_in_a_filter_is_refused(api):
    response = api.get("/orders", placed_after="2025-01-01T00:00:00+23:00")
    assert response.status_code == 422
    assert "offset" in response.json()["error"]["fields"]["placed_after"][0]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/analytics/retention", {"period": "9999"}, "period"),
        ("/analytics/retention", {"period": "0001-01-01..0001-12-31"}, "period"),
        ("/analytics/retention/series", {"end": "0001-01-01"}, "end"),
        ("/analytics/retention/series", {"end": "9999-12-31"}, "end"),
        ("/analytics/cohorts", {"end": "9999-12-31"}, "end"),
        ("/analytics/orders", {"end": "0001-01-01"}, "end"),
        ("/analytics/contracts", {"period": "9999-Q4"}, "period"),
    ],
)
def test_analytics_days_beyond_their_clock_are_refused(api, path, params, field):
    response = api.get(path, **params)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_nul_in_a_text_field_or_the_query_is_refused_by_name(api):
    customer = make_customer(external_id="C1")
    response = api.patch(f"/customers/{customer.pk}", {"first_name": "A\x00"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["first_name"] == ["contains a NUL character"]
    for path in ("/customers", "/accounts", "/orders"):
        response = api.get(path, q="a\x00b")
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"q": ["contains a NUL character"]}


def test_a_lone_surrogate_and_nan_are_refused(api):
    customer = make_customer(external_id="C1")
    body = json.dumps({"custom_attributes": {"a": "\ud800", "b": float("nan")}})
    response = api.client.patch(
        f"/api/v1/customers/{customer.pk}", body, content_type="application/json",
        headers=api.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert "custom_attributes" in response.json()["error"]["fields"]


def test_in_a_bulk_batch_only_the_order_with_nul_fails(api):
    customer = make_customer(external_id="C1")
    orders = [
        _order(customer, external_id="O1"),
        _order(customer, external_id="O\x002"),
        _order(customer, external_id="O3"),
    ]
    response = api.post("/orders/bulk", {"orders": orders})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["created", "error", "created"]
    assert results[1]["errors"] == {"external_id": ["contains a NUL character"]}
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["O1", "O3"]


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({f"a{n}": n for n in range(101)}, "more than 100 custom attributes"),
        ({"n" * 101: "v"}, "longer than 100 characters"),
        ({"v": "x" * 2_001}, "longer than 2,000 characters"),
    ],
)
def test_custom_attributes_are_capped(api, attributes, reason):
    response = api.post("/customers", {"external_id": "C1", "custom_attributes": attributes})
    assert response.status_code == 422
    assert reason in response.json()["error"]["fields"]["custom_attributes"][0]


def test_a_body_over_the_limit_answers_413_in_the_error_shape(api, settings):
    settings.TENURE_MAX_BODY_MB = 1
    body = {"external_id": "C1", "custom_attributes": {"v": "x" * (2 * 1024 * 1024)}}
    response = api.post("/customers", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "1 MB" in response.json()["error"]["message"]


def test_a_nul_in_a_page_query_answers_422_not_500(client):
    client.force_login(make_user())
    response = client.get("/customers/", {"q": "\x00"})
    assert response.status_code == 422


def test_the_interaction_form_refuses_a_moment_outside_the_calendar(client):
    client.force_login(make_user())
    customer = make_customer(external_id="C1")
    response = client.post(
        f"/customers/{customer.pk}/interactions/",
        {"kind": "note", "occurred_at": "0001-01-01T00:00", "subject": "Hi"},
    )
    assert response.status_code in (200, 422)
    assert "outside the years 1900-2199" in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_admin_refuses_what_cannot_be_read_back(client):
    client.force_login(make_user(role="admin"))
    order = make_order(customer=make_customer(external_id="C1"))
    url = f"/admin/orders/order/{order.pk}/change/"
    response = _post_change(client, url, placed_at_0="0001-01-01", placed_at_1="00:00:00")
    assert response.status_code == 200  # the form again, with its error
    assert "outside the years 1900-2199" in response.content.decode()
    order.refresh_from_db()
    assert order.placed_at.year > 1900
    customer = order.customer
    url = f"/admin/customers/customer/{customer.pk}/change/"
    many = json.dumps({f"a{n}": n for n in range(101)})
    response = _post_change(client, url, custom_attributes=many)
    assert "more than 100 custom attributes" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (datetime(9999, 12, 31, 23, tzinfo=timezone.get_fixed_timezone(-12 * 60)), "outside"),
        (datetime(1, 1, 1, tzinfo=timezone.get_fixed_timezone(14 * 60)), "outside"),
        (datetime(2025, 1, 1, tzinfo=timezone.get_fixed_timezone(16 * 60)), "offset"),
        (datetime(2025, 1, 1, tzinfo=UTC), None),
        (date(1699, 12, 31), "outside"),
        (date(1815, 12, 10), None),
        ("a\x00", "NUL"),
        ("\udc80", "surrogate"),
        (float("inf"), "finite"),
        (10**40, "digits"),
        ({"a": [{"b": "\x00"}]}, "NUL"),
    ],
)
def test_the_limits_say_why(value, problem):
    found = limits.value_problem(value)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/customers", {"cursor": "cGs6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"}),  # "pk:" and 26 nines
        ("/lifecycle/buckets", {"end": "9999-12-31"}),
    ],
)
def test_forged_cursors_and_far_days_in_plain_parameters_answer_422(api, path, params):
    response = api.get(path, **params)
    assert response.status_code == 422, response.content


def test_a_forged_timeline_cursor_reads_from_the_start(api):
    customer = make_customer(external_id="C1")
    make_order(customer=customer)
    for cursor in ("9999-12-31T23:59:59-12:00~1~1", f"2025-01-01T00:00:00+00:00~1~{10**30}"):
        response = api.get(f"/customers/{customer.pk}/timeline", cursor=cursor)
        assert response.status_code == 200
        assert len(response.json()["items"]) == 1


def test_an_upload_over_its_limit_answers_413_and_one_within_is_taken(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TENURE_MAX_UPLOAD_MB = 1
    settings.TENURE_MAX_BODY_MB = 1
    client.force_login(make_user())
    big = SimpleUploadedFile("big.csv", b"customer_id\n" + b"C1\n" * 700_000, "text/csv")
    response = client.post("/imports/", {"kind": "customers", "file": big})
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    settings.TENURE_MAX_UPLOAD_MB = 4  # an upload has its own limit, above the body's
    big.seek(0)
    response = client.post("/imports/", {"kind": "customers", "file": big})
    assert response.status_code in (200, 302)
