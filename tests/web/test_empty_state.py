"""An installation with no customer: the customers list offers ways in (import, create) by
role, and an admin may load the demo business in the background, once, only into an empty
database; the run loads it, fits the models and follows its events."""

from __future__ import annotations

import pytest
from django.test import Client

from tenure.customers.models import Customer
from tenure.demo.tasks import DEMO_LOAD_RUN
from tenure.insights.selectors import latest_fit
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.lifecycle.models import CustomerStage
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.force_login(make_user(role=role))
    return client


def test_the_empty_list_offers_ways_in_by_role():
    admin = _client("admin").get("/customers/").content.decode()
    manager = _client("manager").get("/customers/").content.decode()
    analyst = _client("analyst").get("/customers/").content.decode()

    assert "No customers yet." in admin and "Load the demo business" in admin
    assert "Import a file" in admin and "/customers/new/" in admin
    assert "Import a file" in manager and "Load the demo business" not in manager
    assert "Import a file" not in analyst and "once your team imports" in analyst
    make_customer()
    filled = _client("admin").get("/customers/?q=zzz").content.decode()
    assert "No customers match." in filled and "Load the demo business" not in filled


def test_an_admin_queues_the_load_once_and_only_into_an_empty_database():
    client = _client("admin")

    first = client.post("/demo/load/", follow=True)
    second = client.post("/demo/load/", follow=True)

    assert first.status_code == 200 and "Loading the demo business" in first.content.decode()
    assert "loading already" in second.content.decode()
    assert Run.objects.filter(kind=DEMO_LOAD_RUN).count() == 1
    assert "refresh in a minute" in client.get("/customers/").content.decode()
    assert _client("manager").post("/demo/load/").status_code == 403


def test_a_database_with_customers_is_never_given_the_demo():
    make_customer()
    assert _client("admin").post("/demo/load/").status_code == 403
    assert not Run.objects.filter(kind=DEMO_LOAD_RUN).exists()


@pytest.mark.slow
def test_the_run_loads_the_demo_fits_and_follows_its_events():
    _client("admin").post("/demo/load/")
    run = Run.objects.get(kind=DEMO_LOAD_RUN)

    outcome = run_execute(run.pk)

    assert outcome["status"] == "done", outcome["error"]
    result = outcome["result"]
    assert result["created"] is True and result["customers"] == Customer.objects.count() > 0
    assert latest_fit() is not None
    assert CustomerStage.objects.count() > 0  # the events were followed: stages exist
