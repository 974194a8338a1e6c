"""/api/v1/webhooks: admins make, list and delete endpoints and read their delivery logs;
every other role is refused (403). The secret is answered once; URLs and kinds are checked."""

from __future__ import annotations

import pytest

from tenure.events.consumers import consumer_drain
from tenure.users.models import Role
from tenure.webhooks.following import DELIVERIES
from tenure.webhooks.models import Endpoint
from tenure.webhooks.sending import deliveries_send
from tenure.webhooks.services import endpoint_create
from tests.api.helpers import Api
from tests.factories import make_customer
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/tenure"


@pytest.fixture(autouse=True)
def _private_addresses_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


OPERATIONS = ["list", "create", "delete", "deliveries"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_role_table(client, role, operation):
    api = Api(client, role=role)
    endpoint, _ = endpoint_create(by=None, url=URL)
    response = {
        "list": lambda: api.get("/webhooks"),
        "create": lambda: api.post("/webhooks", {"url": URL + "/2"}),
        "delete": lambda: api.delete(f"/webhooks/{endpoint.pk}"),
        "deliveries": lambda: api.get(f"/webhooks/{endpoint.pk}/deliveries"),
    }[operation]()
    if role == Role.ADMIN:
        assert response.status_code == {"create": 201, "delete": 204}.get(operation, 200)
        assert Endpoint.objects.filter(pk=endpoint.pk).exists() == (operation != "delete")
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"
        assert list(Endpoint.objects.values_list("url", flat=True)) == [URL]  # nothing changed


def test_the_secret_is_answered_once(client):
    api = Api(client, role=Role.ADMIN)
    made = api.post(
        "/webhooks",
        {"url": URL, "description": "the shop", "kinds": ["order.placed", "order.refunded"]},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert Endpoint.objects.get(pk=body["id"]).secret == body["secret"]
    assert body["kinds"] == ["order.placed", "order.refunded"]
    assert body["created_by"] == api.user.username
    listed = api.get("/webhooks").json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0] and body["secret"] not in api.get("/webhooks").content.decode()
    assert body["secret"] not in repr(Endpoint.objects.get()) + str(Endpoint.objects.get())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "example.com/x"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "http://example.com:99999/"}, "url"),
        ({"url": "http://exa mple.com/"}, "url"),
        ({"url": "http://[::1/"}, "url"),
        ({"url": "https://example.com/" + "a" * 2000}, "url"),
        ({"url": URL, "kinds": ["order.placd"]}, "kinds"),
        ({"url": URL, "description": "x" * 201}, "description"),
        ({"url": URL, "kinds": "order.placed"}, "kinds"),
        ({}, "url"),
    ],
)
def test_what_cannot_be_an_endpoint_is_a_field_error(client, body, field):
    response = Api(client, role=Role.ADMIN).post("/webhooks", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/",
    ],
)
def test_private_addresses_are_refused_unless_allowed(client, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = Api(client, role=Role.ADMIN).post("/webhooks", {"url": url})
    assert response.status_code == 422, response.content
    assert "TENURE_WEBHOOKS_ALLOW_PRIVATE" in response.json()["error"]["fields"]["url"][0]


def test_a_public_address_is_accepted_when_private_ones_are_refused(client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = Api(client, role=Role.ADMIN).post("/webhooks", {"url": "https://93.184.215.14/h"})
    assert response.status_code == 201, response.content


def test_the_delivery_log(client):
    api = Api(client, role=Role.ADMIN)
    with Receiver(lambda request: 500) as receiver:
        endpoint = api.post("/webhooks", {"url": receiver.url}).json()
        customer = make_customer()
        consumer_drain(DELIVERIES)
        assert deliveries_send() == 1
    log = api.get(f"/webhooks/{endpoint['id']}/deliveries").json()
    assert log["next_cursor"] is None
    [delivery] = log["items"]
    assert delivery["event_kind"] == "customer.created"
    assert delivery["event_key"] == f"customer.created:{customer.pk}"
    assert delivery["customer_id"] == customer.pk
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "pending", 1, 500
    )  # fmt: skip
    assert delivery["last_error"] == "the endpoint answered 500"
    assert delivery["next_try_at"] is not None


def test_an_unknown_endpoint_is_not_found(client):
    api = Api(client, role=Role.ADMIN)
    assert api.delete("/webhooks/999999").status_code == 404
    assert api.get("/webhooks/999999/deliveries").status_code == 404
    assert api.get(f"/webhooks/{2**63}/deliveries").status_code == 422
