"""The import wizard's services on the real database: the file kept, columns matched and the
mapping remembered per source, the preview's per-cell problems, the run's counts and rejects
file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tenure.customers.models import Customer
from tenure.jobs.runner import run_execute
from tenure.transfer.mapping import mapping_suggest
from tenure.transfer.models import ImportJob, ImportSource
from tenure.transfer.preview import import_preview
from tenure.transfer.selectors import import_records, import_rejects_path
from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
from tests.factories import make_customer, make_user

SHOP = (
    "Client No,E-mail,First Name,Surname,Date of birth,Loyalty\n"
    "K-1,one@example.com,Una,One,1980-01-02,gold\n"
    "K-2,not-an-email,Duo,Two,1980-13-01,silver\n"
    'K-3,three@example.com,Tria,Three,,=HYPERLINK("x")\n'
    ",four@example.com,Quattro,Four,1990-05-05,\n"
)


def upload(content: str, name: str = "shop.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_columns_are_matched_by_name_and_synonym():
    header = ["Client No", "E-mail", "First Name", "Surname", "Date of birth", "Loyalty"]
    assert mapping_suggest("customers", header) == {
        "customer_id": "Client No",
        "email": "E-mail",
        "first_name": "First Name",
        "last_name": "Surname",
        "phone": "",
        "birthday": "Date of birth",
        "account": "",
        "channel": "",
        "category": "",
        "created_at": "",
    }


@pytest.mark.django_db
def test_the_file_is_kept_with_its_header_and_a_guessed_mapping(media):
    kept = import_upload_keep(by=make_user(), kind="customers", upload=upload(SHOP))
    assert Path(kept.path).read_text() == SHOP
    assert Path(kept.path).is_relative_to(media)
    assert kept.header[1] == "E-mail"
    assert kept.column_map["E-mail"] == "email" and kept.column_map["Client No"] == "customer_id"
    assert not kept.mapped


@pytest.mark.django_db
def test_the_mapping_is_remembered_per_source_and_by_header():
    user = make_user()
    first = import_upload_keep(by=user, kind="customers", upload=upload(SHOP))
    import_upload_map(
        by=user,
        upload_id=first.pk,
        fields={"customer_id": "Client No", "email": "E-mail", "category": "Loyalty"},
        attributes=[],
        source_name="Shopify export",
    )
    source = ImportSource.objects.get(name="Shopify export")
    assert source.column_map == {
        "Client No": "customer_id",
        "E-mail": "email",
        "Loyalty": "category",
    }
    # Unchosen columns are not read: they are ignored, not kept as attributes.
    assert set(source.ignored_columns) == {"First Name", "Surname", "Date of birth"}

    # The same header, no name given: recognised, the remembered mapping pre-filled.
    again = import_upload_keep(by=user, kind="customers", upload=upload(SHOP, "next.csv"))
    assert again.source == source
    assert again.column_map == source.column_map
    assert set(again.ignored_columns) == set(source.ignored_columns)

    # Named, with a column more: the remembered columns stay, the new one is guessed.
    other = "Client No,E-mail,Loyalty,Phone\nK-9,nine@example.com,gold,123\n"
    named = import_upload_keep(
        by=user, kind="customers", upload=upload(other), source_name="Shopify export"
    )
    assert named.source == source
    assert named.column_map == {**source.column_map, "Phone": "phone"}


@pytest.mark.django_db
def test_a_mapping_without_a_required_field_or_with_a_column_twice_is_refused_by_field():
    user = make_user()
    kept = import_upload_keep(by=user, kind="customers", upload=upload(SHOP))
    with pytest.raises(ValidationError) as refused:
        import_upload_map(by=user, upload_id=kept.pk, fields={"email": "E-mail"})
    assert refused.value.message_dict == {
        "customer_id": ["required: choose the column that gives it"]
    }
    with pytest.raises(ValidationError) as twice:
        import_upload_map(
            by=user, upload_id=kept.pk, fields={"customer_id": "Client No", "email": "Client No"}
        )
    assert twice.value.message_dict == {
        "email": ["the column 'Client No' already gives customer_id"]
    }


@pytest.mark.django_db
def test_the_preview_puts_each_problem_on_its_cell_and_counts_the_whole_file():
    user = make_user()
    kept = import_upload_keep(by=user, kind="customers", upload=upload(SHOP))
    kept = import_upload_map(
        by=user,
        upload_id=kept.pk,
        fields=mapping_suggest("customers", kept.header),
        attributes=["Loyalty"],
    )
    preview = import_preview(upload=kept, rows_shown=2)
    assert (preview.valid, preview.invalid) == (2, 2)
    assert len(preview.rows) == 2
    names = [column.name for column in preview.columns]
    assert names == ["Client No", "E-mail", "First Name", "Surname", "Date of birth", "Loyalty"]
    bad = dict(zip(names, preview.rows[1].cells, strict=True))
    # Both of row 3's problems, each on its cell; the other cells read as stored.
    assert bad["E-mail"] == ("not-an-email", "not an email address: 'not-an-email'")
    assert bad["Date of birth"] == ("1980-13-01", "not a calendar date: 1980-13-01")
    assert bad["First Name"] == ("Duo", "")
    assert preview.problems_by_column == {"E-mail": 1, "Date of birth": 1, "Client No": 1}
    assert Customer.objects.count() == 0  # reads only


def _ran(user, content: str, **mapping) -> ImportJob:
    kept = import_upload_keep(by=user, kind="customers", upload=upload(content))
    import_upload_map(
        by=user,
        upload_id=kept.pk,
        fields=mapping.get("fields") or mapping_suggest("customers", kept.header),
        attributes=mapping.get("attributes", []),
    )
    job = import_upload_run(by=user, upload_id=kept.pk)
    assert import_upload_run(by=user, upload_id=kept.pk) == job  # a double click runs once
    assert run_execute(job.run_id)["status"] == "done"
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_the_run_counts_keeps_the_file_and_writes_the_rejects_as_they_came():
    user = make_user()
    make_customer(external_id="K-1", email="old@example.com", first_name="Una", last_name="One")
    job = _ran(user, SHOP, attributes=["Loyalty"])
    assert (job.rows_created, job.rows_updated, job.rows_unchanged, job.rows_rejected) == (
        1,
        1,
        0,
        2,
    )
    assert Path(job.path).read_text() == SHOP  # kept with the import record
    path = import_rejects_path(job=job)
    assert path is not None
    rows = list(csv.reader(io.StringIO(Path(path).read_text())))
    assert rows == [
        ["Client No", "E-mail", "First Name", "Surname", "Date of birth", "Loyalty", "error"],
        [
            "K-2", "not-an-email", "Duo", "Two", "1980-13-01", "silver",
            "E-mail: not an email address: 'not-an-email'",
        ],
        [
            "", "four@example.com", "Quattro", "Four", "1990-05-05", "",
            "Client No: required, but empty",
        ],
    ]  # fmt: skip
    assert Customer.objects.get(external_id="K-3").custom_attributes == {
        "Loyalty": '=HYPERLINK("x")'
    }
    records = import_records(user=user, job=job)
    assert [c.external_id for c in records.customers_created] == ["K-3"]
    assert [c.external_id for c in records.customers_changed] == ["K-1"]


@pytest.mark.django_db
def test_a_rejected_formula_comes_out_neutralised():
    user = make_user()
    job = _ran(user, "customer_id,email\n=cmd|' /C calc'!A0,@bad\n")
    text = Path(import_rejects_path(job=job) or "").read_text()
    assert "'=cmd" in text and "'@bad" in text


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["keep", "map", "run"])
def test_an_analyst_may_not_use_the_wizard(step):
    manager, analyst = make_user(), make_user(role="analyst")
    kept = import_upload_keep(by=manager, kind="customers", upload=upload(SHOP))
    with pytest.raises(PermissionDenied):
        if step == "keep":
            import_upload_keep(by=analyst, kind="customers", upload=upload(SHOP))
        elif step == "map":
            import_upload_map(by=analyst, upload_id=kept.pk, fields={"customer_id": "Client No"})
        else:
            import_upload_run(by=analyst, upload_id=kept.pk)
