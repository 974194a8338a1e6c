"""The import wizard's pages: the selects list the file's columns, the preview marks each
problem on its cell, the job page offers the rejects and the records, revert from the page;
an analyst refused on every step."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.transfer.models import ImportJob, ImportUpload
from tenure.transfer.revert import REVERT_RUN
from tests.factories import make_customer, make_user

FILE = (
    "Client No,E-mail,Given name,Loyalty\n"
    "K-1,new@example.com,Una,gold\n"
    "K-2,<b>bad</b>,Duo,silver\n"
    "K-3,three@example.com,Tria,=1+2\n"
)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _uploaded(client, source: str = "") -> ImportUpload:
    file = SimpleUploadedFile("shop.csv", FILE.encode(), content_type="text/csv")
    response = client.post(
        reverse("web:imports"), {"kind": "customers", "file": file, "source": source}
    )
    assert response.status_code == 302, response.content
    return ImportUpload.objects.latest("pk")


def test_the_mapping_page_offers_the_files_columns_matched_by_name(signed_in):
    kept = _uploaded(signed_in)
    page = signed_in.get(reverse("web:import-map", args=[kept.pk])).content.decode()
    assert '<option value="E-mail" selected>E-mail</option>' in page
    assert '<option value="Client No" selected>Client No</option>' in page
    assert 'name="field_phone"' in page and "required" in page
    assert 'name="attributes" value="Loyalty"' in page


def test_a_column_chosen_twice_is_refused_on_the_field(signed_in):
    kept = _uploaded(signed_in)
    response = signed_in.post(
        reverse("web:import-map", args=[kept.pk]),
        {"field_customer_id": "Client No", "field_email": "Client No"},
    )
    assert response.status_code == 422
    assert "the column &#x27;Client No&#x27; already gives customer_id" in response.content.decode()


def _mapped(client, source: str = "") -> ImportUpload:
    kept = _uploaded(client)
    response = client.post(
        reverse("web:import-map", args=[kept.pk]),
        {
            "field_customer_id": "Client No",
            "field_email": "E-mail",
            "field_first_name": "Given name",
            "attributes": ["Loyalty"],
            "source": source,
        },
    )
    assert response["Location"] == reverse("web:import-preview", args=[kept.pk])
    return kept


def test_the_preview_marks_the_cell_and_counts_and_the_mapping_is_remembered(signed_in):
    kept = _mapped(signed_in, source="Shop")
    page = signed_in.get(reverse("web:import-preview", args=[kept.pk])).content.decode()
    assert '<dd class="stat-value text-green" data-testid="valid">2</dd>' in page
    assert 'data-testid="invalid">1</dd>' in page
    assert (
        '<td class="cell-error">&lt;b&gt;bad&lt;/b&gt;<small class="cell-problem">not an email '
        "address: &#x27;&lt;b&gt;bad&lt;/b&gt;&#x27;</small></td>"
    ) in page
    assert Customer.objects.count() == 0
    # The next file of the same shape arrives mapped, the source named.
    again = _uploaded(signed_in)
    page = signed_in.get(reverse("web:import-map", args=[again.pk])).content.decode()
    assert "the mapping remembered for <strong>Shop</strong>" in page
    assert '<option value="Given name" selected>Given name</option>' in page


def test_run_rejects_records_and_revert_from_the_pages(signed_in, manager):
    make_customer(external_id="K-1", email="old@example.com")
    kept = _mapped(signed_in)
    signed_in.post(reverse("web:import-run", args=[kept.pk]))
    job = ImportJob.objects.get()
    assert run_execute(job.run_id)["status"] == "done"
    page = signed_in.get(reverse("web:import", args=[job.pk])).content.decode()
    assert reverse("web:import-rejects", args=[job.pk]) in page
    assert "Revert the import" in page

    download = signed_in.get(reverse("web:import-rejects", args=[job.pk]))
    text = b"".join(download.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["Client No", "E-mail", "Given name", "Loyalty", "error"],
        ["K-2", "<b>bad</b>", "Duo", "silver", "E-mail: not an email address: '<b>bad</b>'"],
    ]
    records = signed_in.get(reverse("web:import-records", args=[job.pk])).content.decode()
    k3 = Customer.objects.get(external_id="K-3")
    assert reverse("web:customer", args=[k3.pk]) in records
    assert k3.custom_attributes == {"Loyalty": "=1+2"}

    response = signed_in.post(reverse("web:import-revert", args=[job.pk]))
    again = signed_in.post(reverse("web:import-revert", args=[job.pk]), follow=True)
    assert response.status_code == 302
    assert "under way already" in again.content.decode()  # a second click asks for no second
    waiting = signed_in.get(reverse("web:import", args=[job.pk])).content.decode()
    assert "Reverting in the background" in waiting and 'hx-trigger="every 1s"' in waiting
    assert Customer.objects.filter(external_id="K-3").exists()  # not in the request
    revert = Run.objects.get(kind=REVERT_RUN)
    assert run_execute(revert.pk)["result"] == {"deleted": 1, "restored": 1, "kept": 0}
    assert not Customer.objects.filter(external_id="K-3").exists()
    assert Customer.objects.get(external_id="K-1").email == "old@example.com"
    page = signed_in.get(reverse("web:import", args=[job.pk])).content.decode()
    assert "1 record deleted, 1 restored" in page


def test_an_analyst_is_refused_on_every_step(client, signed_in):
    kept = _mapped(signed_in)
    signed_in.post(reverse("web:import-run", args=[kept.pk]))
    job = ImportJob.objects.get()
    run_execute(job.run_id)
    client.force_login(make_user(role="analyst"))
    file = SimpleUploadedFile("a.csv", FILE.encode())
    posts = {
        reverse("web:imports"): {"kind": "customers", "file": file},
        reverse("web:import-map", args=[kept.pk]): {"field_customer_id": "Client No"},
        reverse("web:import-run", args=[kept.pk]): {},
        reverse("web:import-revert", args=[job.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("web:import-preview", args=[kept.pk])).status_code == 403
    job_page = client.get(reverse("web:import", args=[job.pk]))
    assert "Revert the import" not in job_page.content.decode()
    assert ImportJob.objects.get().reverted_at is None
    assert ImportUpload.objects.count() == 1
