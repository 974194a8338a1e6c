"""Idempotency-Key on POST: run once, replay the rest, refuse a different body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.api.models import IdempotencyKey
from tenure.api.tasks import idempotency_keys_purge
from tenure.customers.models import Customer
from tenure.users.services import api_token_create
from tests.factories import make_user


def _post(url: str, token: str, body: dict, key: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def token(transactional_db) -> str:
    return api_token_create(user=make_user())[1]


def test_twenty_concurrent_retries_create_one_record(live_server, token):
    url = f"{live_server.url}/api/v1/customers"
    body = {"external_id": "IDEM-1", "first_name": "Once"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _post(url, token, body, "key-1"), range(20)))
    assert Customer.objects.filter(external_id="IDEM-1").count() == 1
    statuses = {status for status, _ in results}
    assert statuses == {201}
    assert len({content for _, content in results}) == 1  # byte-identical responses


def test_same_key_with_another_body_is_refused(live_server, token):
    url = f"{live_server.url}/api/v1/customers"
    first = _post(url, token, {"external_id": "IDEM-2"}, "key-2")
    assert first[0] == 201
    other = _post(url, token, {"external_id": "IDEM-3"}, "key-2")
    assert other[0] == 422
    assert json.loads(other[1])["error"]["code"] == "idempotency_key_reused"
    assert not Customer.objects.filter(external_id="IDEM-3").exists()
    again = _post(url, token, {"external_id": "IDEM-2"}, "key-2")
    assert again == first


def test_without_a_key_each_post_runs(live_server, token):
    url = f"{live_server.url}/api/v1/customers"
    assert _post(url, token, {"external_id": "IDEM-4"}, None)[0] == 201
    second = _post(url, token, {"external_id": "IDEM-4"}, None)
    assert second[0] == 422  # ran again, and found the id taken


def test_a_failed_request_is_remembered_as_it_answered(live_server, token):
    url = f"{live_server.url}/api/v1/customers"
    first = _post(url, token, {"external_id": ""}, "key-5")
    assert first[0] == 422
    assert _post(url, token, {"external_id": ""}, "key-5") == first


def test_keys_are_per_caller_and_expire(live_server, token):
    url = f"{live_server.url}/api/v1/customers"
    other_token = api_token_create(user=make_user())[1]
    assert _post(url, token, {"external_id": "IDEM-6"}, "shared")[0] == 201
    # Another caller's same key is another key: it runs (and finds the id taken).
    assert _post(url, other_token, {"external_id": "IDEM-7"}, "shared")[0] == 201

    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_keys_purge() == 2
    assert not IdempotencyKey.objects.exists()
    rerun = _post(url, token, {"external_id": "IDEM-6"}, "shared")
    assert rerun[0] == 422  # after 24 hours the key is forgotten: the POST runs again
