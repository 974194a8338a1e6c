"""The import page: upload, then a job page that follows the background worker's progress."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.jobs.models import Run
from tenure.transfer.models import ImportJob, ImportUpload
from tests.factories import make_user

URL = reverse("web:imports")

GOOD_AND_BAD = (
    "Client No,email,first_name,last_name,category\n"
    "K-1,one@example.com,Una,One,vip\n"
    "K-2,not-an-email,Duo,Two,vip\n"
    "K-3,three@example.com,Tria,Three,regular\n"
    ",four@example.com,Quattro,Four,regular\n"
    "K-5,five@example.com,Quinque,Five,regular\n"
)


def upload(content: str, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_page_offers_the_form_and_the_columns(signed_in):
    page = signed_in.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "customer_id" in page and "placed_at" in page
    assert "No imports yet." in page


def test_a_file_that_is_not_csv_is_refused_at_once(signed_in):
    response = signed_in.post(URL, {"kind": "customers", "file": upload("")})
    assert response.status_code == 422
    assert "The submitted file is empty" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_missing_required_column_is_flagged_on_its_field(signed_in):
    response = signed_in.post(URL, {"kind": "customers", "file": upload("email\nx@example.com\n")})
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "required: choose the column that gives it" in page
    refused = signed_in.post(response["Location"], {"field_email": "email"})
    assert refused.status_code == 422
    assert "Nothing was saved" in refused.content.decode()
    assert not ImportJob.objects.exists()


def test_an_analyst_may_not_import(client, db):
    client.force_login(make_user(role="analyst"))
    assert "for managers and admins" in client.get(URL).content.decode()
    response = client.post(URL, {"kind": "customers", "file": upload(GOOD_AND_BAD)})
    assert response.status_code == 403


def test_a_queued_job_page_polls_and_a_finished_one_does_not(signed_in, manager):
    job = ImportJob.objects.create(
        run=Run.objects.create(kind="transfer.import"),
        kind="orders",
        file_name="orders.csv",
        path="/nowhere",
        created_by=manager,
    )
    progress = reverse("web:import-progress", args=[job.pk])
    page = signed_in.get(reverse("web:import", args=[job.pk])).content.decode()
    assert f'hx-get="{progress}" hx-trigger="every 1s"' in page
    assert "Waiting for the background worker" in page
    ImportJob.objects.filter(pk=job.pk).update(
        status="done",
        rows_read=3,
        rows_stored=2,
        rows_rejected=1,
        rejects=[{"line": 3, "column": "amount", "reason": "<b>not a number</b>"}],
    )
    fragment = signed_in.get(progress).content.decode()
    assert "hx-trigger" not in fragment and "<html" not in fragment
    assert "100%" in fragment and "Finished" in fragment
    assert "&lt;b&gt;not a number&lt;/b&gt;" in fragment
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="the disk is gone")
    assert "The import stopped: the disk is gone" in signed_in.get(progress).content.decode()
    assert signed_in.get(reverse("web:import", args=[999999])).status_code == 404


def _start_worker(database_url: str) -> subprocess.Popen[bytes]:
    # Same data directory as this process (the queue signs tasks with its secret key); the
    # upload's path in the job is absolute.
    environment = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_WORKERS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen[bytes]) -> str:
    worker.send_signal(signal.SIGTERM)
    try:
        out, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out.decode(errors="replace")


def test_an_upload_is_imported_by_the_worker_and_the_page_follows_it(database_url, signed_in):
    response = signed_in.post(URL, {"kind": "customers", "file": upload(GOOD_AND_BAD)})
    assert response.status_code == 302
    kept = ImportUpload.objects.get()
    assert response["Location"] == reverse("web:import-map", args=[kept.pk])
    mapped = signed_in.post(
        response["Location"],
        {"field_customer_id": "Client No", "field_email": "email", "field_first_name": "first_name",
         "field_last_name": "last_name", "field_category": "category"},
    )  # fmt: skip
    assert mapped["Location"] == reverse("web:import-preview", args=[kept.pk])
    response = signed_in.post(reverse("web:import-run", args=[kept.pk]))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("web:import", args=[job.pk])
    assert job.column_map == {
        "Client No": "customer_id", "email": "email", "first_name": "first_name",
        "last_name": "last_name", "category": "category",
    }  # fmt: skip
    progress = reverse("web:import-progress", args=[job.pk])

    worker = _start_worker(database_url)
    try:
        deadline = time.monotonic() + 60
        while "hx-trigger" in (fragment := signed_in.get(progress).content.decode()):
            if time.monotonic() > deadline:
                raise AssertionError(f"no import within 60 s; the worker said:\n{_stop(worker)}")
            time.sleep(0.5)
    finally:
        log = _stop(worker) if worker.poll() is None else ""
    assert "Done" in fragment, log
    assert "100%" in fragment
    assert "3 rows stored, 2 rejected" in fragment
    # The rejects table: line, column, reason.
    rows = fragment.split("<tbody>")[-1]
    assert '<td class="num">3</td><td><code>email</code></td>' in rows
    assert '<td class="num">5</td><td><code>Client No</code></td>' in rows
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["K-1", "K-3", "K-5"]
    page = signed_in.get(URL).content.decode()
    assert "customers.csv" in page and "Done" in page
