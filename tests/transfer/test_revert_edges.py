"""Revert from the API and the real `tenure import revert` command: the same service, the same
report, an analyst refused on both."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenure.customers.models import Customer
from tenure.jobs.runner import run_execute
from tenure.transfer.mapping import mapping_suggest
from tenure.transfer.models import ImportJob
from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
from tests.api.helpers import Api
from tests.factories import make_customer, make_user
from tests.transfer.conftest import tenure

FILE = "customer_id,email\nK-1,new@example.com\nK-2,two@example.com\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def imported(user) -> ImportJob:
    kept = import_upload_keep(
        by=user, kind="customers", upload=SimpleUploadedFile("c.csv", FILE.encode())
    )
    import_upload_map(by=user, upload_id=kept.pk, fields=mapping_suggest("customers", kept.header))
    job = import_upload_run(by=user, upload_id=kept.pk)
    assert run_execute(job.run_id)["status"] == "done"
    return ImportJob.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_the_api_reverts_once_and_refuses_an_analyst(client):
    k1 = make_customer(external_id="K-1", email="old@example.com")
    manager = Api(client)
    job = imported(manager.user)
    read = manager.get(f"/imports/{job.pk}")
    assert read.status_code == 200
    assert (read.json()["created"], read.json()["updated"]) == (1, 1)

    analyst = Api(client, role="analyst")
    refused = analyst.post(f"/imports/{job.pk}/revert", {})
    assert refused.status_code == 403, refused.content
    assert Customer.objects.filter(external_id="K-2").exists()

    # A revert can take minutes: asked for, it is a background run, as from the page.
    asked = manager.post(f"/imports/{job.pk}/revert", {})
    assert asked.status_code == 202, asked.content
    state = asked.json()
    assert state["state"] == "queued" and state["report"] is None and state["run_id"]
    assert Customer.objects.filter(external_id="K-2").exists()  # nothing yet
    twice = manager.post(f"/imports/{job.pk}/revert", {})  # the one asked already
    assert twice.status_code == 202 and twice.json()["run_id"] == state["run_id"]
    assert manager.get(f"/imports/{job.pk}").json()["revert"]["state"] == "queued"
    assert run_execute(state["run_id"])["status"] == "done"

    expected = {"deleted": ["customer K-2"], "restored": ["customer K-1"], "kept": []}
    read = manager.get(f"/imports/{job.pk}").json()
    assert read["revert"] == {"state": "done", "run_id": None, "report": expected, "error": ""}
    assert read["reverted_at"] is not None
    k1.refresh_from_db()
    assert k1.email == "old@example.com"
    again = manager.post(f"/imports/{job.pk}/revert", {})  # done: the report, nothing new
    assert again.status_code == 200 and again.json()["report"] == expected
    assert manager.post("/imports/999999/revert", {}).status_code == 404


@pytest.mark.django_db
def test_a_failed_revert_says_why_and_may_be_asked_again(client):
    from tenure.jobs.models import Run

    make_customer(external_id="K-1", email="old@example.com")
    manager = Api(client)
    job = imported(manager.user)
    run_id = manager.post(f"/imports/{job.pk}/revert", {}).json()["run_id"]
    # The importer lost the right to revert before the worker took it: the run fails in words.
    manager.user.role = "analyst"
    manager.user.save()
    assert run_execute(run_id)["status"] == "failed"
    state = manager.get(f"/imports/{job.pk}").json()["revert"]
    assert state["state"] == "failed" and "not reverted" in state["error"]
    assert Customer.objects.filter(external_id="K-2").exists()  # nothing changed
    manager.user.role = "manager"
    manager.user.save()
    again = manager.post(f"/imports/{job.pk}/revert", {})
    assert again.status_code == 202 and again.json()["run_id"] != run_id
    assert Run.objects.filter(kind="transfer.revert").count() == 2


def test_the_command_reverts_and_refuses_an_analyst(database_url):
    make_user(role="analyst", username="ana")
    make_customer(external_id="K-1", email="old@example.com")
    job = imported(make_user(role="manager", username="max"))

    refused = tenure(database_url, "import", "revert", str(job.pk), "--as", "ana")
    assert refused.returncode == 4, refused.stderr
    assert "may not" in refused.stderr
    assert Customer.objects.filter(external_id="K-2").exists()

    done = tenure(database_url, "import", "revert", str(job.pk), "--as", "max")
    assert done.returncode == 0, done.stderr
    assert "deleted customer K-2" in done.stdout and "restored customer K-1" in done.stdout
    assert not Customer.objects.filter(external_id="K-2").exists()
    assert Customer.objects.get(external_id="K-1").email == "old@example.com"

    again = tenure(database_url, "import", "revert", str(job.pk))
    assert again.returncode == 0
    assert "1 deleted, 1 restored, 0 left as they are" in again.stdout
    assert tenure(database_url, "import", "revert", "999999").returncode == 2


def _finished(owner) -> ImportJob:
    from tenure.jobs.models import Run

    return ImportJob.objects.create(
        run=Run.objects.create(kind="transfer.import"),
        kind="customers",
        file_name="c.csv",
        status="done",
        created_by=owner,
    )


# (role, whose import) -> (GET /imports/{id}, POST /imports/{id}/revert: 202 asks for the run)
API_TABLE = {
    ("admin", "own"): (200, 202),
    ("admin", "other"): (200, 202),
    ("manager", "own"): (200, 202),
    ("manager", "other"): (200, 202),
    ("success_manager", "own"): (200, 202),
    ("success_manager", "other"): (404, 404),
    ("analyst", "own"): (200, 403),
    ("analyst", "other"): (404, 403),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "whose"), list(API_TABLE))
def test_the_imports_api_role_table(client, role, whose):
    api = Api(client, role=role)
    owner = api.user if whose == "own" else make_user(role="success_manager")
    job = _finished(owner)
    read, revert = API_TABLE[(role, whose)]
    assert api.get(f"/imports/{job.pk}").status_code == read
    response = api.post(f"/imports/{job.pk}/revert", {})
    assert response.status_code == revert, response.content
    if revert == 202:  # the run reverts as the person who asked
        assert run_execute(response.json()["run_id"])["status"] == "done"
    assert (ImportJob.objects.get(pk=job.pk).reverted_at is not None) == (revert == 202)
