"""An uploaded import file waiting for the worker is deleted when a person in it is erased."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenure.privacy.services import person_erase
from tenure.transfer.erasure import ERASED_UPLOAD
from tenure.transfer.models import ImportStatus
from tenure.transfer.services import import_job_start
from tests.factories import make_customer, make_user
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["customer_id", "email"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _queued(rows):
    upload = SimpleUploadedFile("people.csv", csv_bytes([HEADER, *rows]))
    return import_job_start(user=make_user(), kind="customers", upload=upload, column_map={})


def test_erasing_a_person_deletes_the_uploads_that_name_them_and_no_other():
    person = make_customer(external_id="ERASE-ME", email="gone@example.com")
    by_id = _queued([["ERASE-ME", "new@example.com"], ["OTHER", "o@example.com"]])
    by_email = _queued([["SOMEONE", "GONE@example.com"]])
    unrelated = _queued([["ERASE-ME-NOT", "gone@example.org"]])
    assert oct(Path(by_id.path).stat().st_mode & 0o777) == oct(0o600)

    outcome = person_erase(customer_id=person.pk)

    assert outcome["import_uploads"] == 2
    for job in (by_id, by_email):
        job.refresh_from_db()
        assert not Path(job.path).exists()
        assert (job.status, job.error) == (ImportStatus.FAILED, ERASED_UPLOAD)
    unrelated.refresh_from_db()
    assert Path(unrelated.path).exists() and unrelated.status == ImportStatus.QUEUED
