"""One rule on every write path: a success manager's write to a record outside their scope is
refused, and nothing of the other book changes, whether it comes through the web import (the
real Imports page, then the worker's job function), the CLI import (``--as``), the API or the
admin. Their own writes go through, and what their imports create is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse

from tenure.access.records import TAKEN
from tenure.cli import transfer
from tenure.cli.main import cli
from tenure.customers.models import Account, Customer
from tenure.history.selectors import history_of
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order
from tenure.transfer.models import ImportJob, ImportStatus, ImportUpload
from tenure.users.models import Role
from tenure.users.services import api_token_create
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_order, make_user
from tests.transfer.conftest import csv_bytes

for command in transfer.COMMANDS:
    cli.add_command(command)

pytestmark = pytest.mark.django_db

CUSTOMERS = ["customer_id", "email", "account"]
ORDERS = ["order_id", "customer_id", "placed_at", "amount", "status"]


@dataclass
class Books:
    me: object
    mine: Customer
    my_account: Account
    theirs: Customer
    their_account: Account
    their_order: Order


@pytest.fixture
def books() -> Books:
    me = make_user(role=Role.SUCCESS_MANAGER, username="sm")
    other = make_user(role=Role.SUCCESS_MANAGER, username="other")
    my_account = make_account(name="My Account", owner=me)
    their_account = make_account(name="Their Account", owner=other)
    mine = make_customer(external_id="MINE", email="mine@example.com", account=my_account)
    theirs = make_customer(
        external_id="THEIRS", email="theirs@example.com", owner=other, account=their_account
    )
    make_order(customer=mine, external_id="MY-ORDER")
    their_order = make_order(customer=theirs, external_id="THEIR-ORDER")
    return Books(me, mine, my_account, theirs, their_account, their_order)


def _foreign(b: Books) -> list[dict]:
    """Everything of the other book, field by field (and its orders)."""
    return [
        model_to_dict(Customer.objects.get(pk=b.theirs.pk)),
        model_to_dict(Account.objects.get(pk=b.their_account.pk)),
        *(model_to_dict(o) for o in Order.objects.filter(customer=b.theirs).order_by("pk")),
        {"history": list(LogEntry.objects.filter(object_pk=str(b.theirs.pk)).values("pk"))},
    ]


# (kind, rows, the rejected column) -- each an attempt on another's book.
ATTACKS = {
    "overwrite their customer's email": (
        "customers",
        [["THEIRS", "mine-now@example.com", ""]],
        "customer_id",
    ),
    "move their customer into my account": (
        "customers",
        [["THEIRS", "theirs@example.com", "My Account"]],
        "customer_id",
    ),
    "move my customer into their account": (
        "customers",
        [["MINE", "mine@example.com", "Their Account"]],
        "account",
    ),
    "add an order to their customer": (
        "orders",
        [["NEW-ORDER", "THEIRS", "2025-03-01", "99999.99", "completed"]],
        "customer_id",
    ),
    "rewrite their order": (
        "orders",
        [["THEIR-ORDER", "THEIRS", "2025-01-01", "0.01", "refunded"]],
        "order_id",
    ),
    "take their order for my customer": (
        "orders",
        [["THEIR-ORDER", "MINE", "2025-01-01", "50.00", "completed"]],
        "order_id",
    ),
}


def _header(kind: str) -> list[str]:
    return CUSTOMERS if kind == "customers" else ORDERS


def _through_the_wizard(client, kind: str, upload: SimpleUploadedFile) -> ImportJob:
    """Upload, columns as the wizard matched them, run (the import wizard's pages)."""
    response = client.post(reverse("web:imports"), {"kind": kind, "file": upload})
    assert response.status_code == 302, response.content
    kept = ImportUpload.objects.latest("pk")
    chosen = {f"field_{field}": column for column, field in kept.column_map.items()}
    response = client.post(reverse("web:import-map", args=[kept.pk]), chosen)
    assert response.status_code == 302, response.content
    assert client.post(reverse("web:import-run", args=[kept.pk])).status_code == 302
    return ImportJob.objects.latest("pk")


def _web_import(client, user, kind: str, rows, media: Path) -> tuple[int, list[tuple]]:
    """Upload through the real Imports page, run the worker's job function; (rows stored,
    rejects as (line, column, reason))."""
    client.force_login(user)
    upload = SimpleUploadedFile(f"{kind}.csv", csv_bytes([_header(kind), *rows]))
    job = _through_the_wizard(client, kind, upload)
    assert (Path(job.path).stat().st_mode & 0o777) == 0o600  # the service's only
    run_execute(job.run_id)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    assert (Path(job.path).stat().st_mode & 0o777) == 0o600  # kept with the import, still 0600
    return job.rows_stored, [(r["line"], r["column"], r["reason"]) for r in job.rejects]


def _cli_import(user, kind: str, rows, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(csv_bytes([_header(kind), *rows]))
    result = CliRunner().invoke(cli, ["import", kind, str(path), "--as", user.username, "-q"])
    return result.exit_code, result.output


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_web_import_refuses_another_s_records_and_changes_nothing(attack, books, client, media):
    kind, rows, column = ATTACKS[attack]
    before = _foreign(books)
    stored, rejects = _web_import(client, books.me, kind, rows, media)
    assert (stored, rejects) == (0, [(2, column, TAKEN)])
    assert _foreign(books) == before
    assert Customer.objects.get(pk=books.mine.pk).account_id == books.my_account.pk


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_cli_import_as_a_success_manager_refuses_another_s_records(attack, books, tmp_path):
    kind, rows, column = ATTACKS[attack]
    before = _foreign(books)
    code, output = _cli_import(books.me, kind, rows, tmp_path)
    assert code == 1, output
    assert f"line 2, column {column}: {TAKEN}" in output
    assert _foreign(books) == before


def test_a_refusal_reads_as_a_value_in_use_whoever_holds_it(books, client, media):
    """Their customer's id and an id no success manager may take read the same: the words do
    not tell that a record of another book exists."""
    _, theirs = _web_import(client, books.me, "orders", ATTACKS["rewrite their order"][1], media)
    assert theirs == [(2, "order_id", TAKEN)]
    assert "THEIR" not in theirs[0][2] and str(books.their_order.pk) not in theirs[0][2]


def test_the_api_and_the_admin_refuse_the_same_writes(books, client):
    before = _foreign(books)
    api = Api(client, user=books.me)
    theirs = books.theirs.pk
    assert api.patch(f"/customers/{theirs}", {"email": "x@example.com"}).status_code == 404
    order = {
        "external_id": "API-ORDER",
        "customer_id": theirs,
        "placed_at": "2025-03-01T00:00:00Z",
        "amount": "99999.99",
    }
    assert api.post("/orders", order).status_code == 422
    their_order = api.patch(f"/orders/{books.their_order.pk}", {"amount": "0.01"})
    assert their_order.status_code == 404
    client.force_login(books.me)  # the admin is for staff: a success manager is sent away
    change = reverse("admin:customers_customer_change", args=[theirs])
    assert client.post(change, {"email": "x@example.com"}).status_code == 302
    assert _foreign(books) == before


def test_own_writes_go_through_and_what_an_import_creates_is_the_importer_s(
    books, client, media, tmp_path
):
    stored, rejects = _web_import(
        client,
        books.me,
        "customers",
        [["MINE", "new@example.com", "My Account"], ["NEW-C", "c@example.com", "New Account"]],
        media,
    )
    assert (stored, rejects) == (2, [])
    assert Customer.objects.get(pk=books.mine.pk).email == "new@example.com"
    created = Customer.objects.get(external_id="NEW-C")
    assert created.owner == books.me
    assert Account.objects.get(name="New Account").owner == books.me
    code, output = _cli_import(
        books.me,
        "orders",
        [
            ["MY-ORDER", "MINE", "2025-01-01", "75.00", "completed"],
            ["ORDER-OF-NEW", "FROM-ORDERS", "2025-02-01", "10.00", "completed"],
        ],
        tmp_path,
    )
    assert code == 0, output
    assert Order.objects.get(external_id="MY-ORDER").amount == 75
    assert Customer.objects.get(external_id="FROM-ORDERS").owner == books.me


def test_the_history_of_an_imported_change_names_who_and_which_import(books, client, media):
    other = make_account(name="My Second Account", owner=books.me)
    rows = [["MINE", "new@example.com", "My Second Account"]]
    _web_import(client, books.me, "customers", rows, media)
    job = ImportJob.objects.latest("pk")
    entry = history_of(record=books.mine)[0]
    assert entry is not None
    assert entry.actor == books.me
    assert entry.data == {"import": job.pk, "by": "sm", "file": "customers.csv"}
    assert entry.changes["email"] == ["mine@example.com", "new@example.com"]
    assert entry.changes["account"] == [books.my_account.pk, other.pk]
    page = client.get(f"/customers/{books.mine.pk}/").content.decode()
    assert f"Update by sm, import {job.pk}" in page
    token = api_token_create(user=books.me)[1]
    answer = client.get(
        f"/api/v1/customers/{books.mine.pk}/history", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert answer[0]["made_by_import"] == job.pk
    assert answer[0]["changes"]["email"] == ["mine@example.com", "new@example.com"]


def test_an_operator_import_is_recorded_as_the_operator_s(books, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        csv_bytes([ORDERS, ["THEIR-ORDER", "THEIRS", "2025-01-01", "0.01", "refunded"]])
    )
    result = CliRunner().invoke(cli, ["import", "orders", str(path), "-q"])
    assert result.exit_code == 0, result.output
    order = Order.objects.get(external_id="THEIR-ORDER")
    assert (str(order.amount), order.status) == ("0.01", "refunded")
    entry = history_of(record=order)[0]
    assert entry is not None and entry.actor is None
    assert entry.data == {"import": "orders.csv", "by": "operator"}
    assert entry.changes["amount"] == ["50.00", "0.01"]
    assert entry.changes["status"] == ["completed", "refunded"]


def test_an_analyst_may_not_import_at_the_command_line(books, tmp_path):
    analyst = make_user(role=Role.ANALYST)
    code, output = _cli_import(analyst, "customers", [["MINE", "x@example.com", ""]], tmp_path)
    assert code == 4, output
    assert "may not import" in output
    assert Customer.objects.get(pk=books.mine.pk).email == "mine@example.com"


def test_a_job_whose_uploader_lost_the_right_to_change_imports_nothing(books, client, media):
    client.force_login(books.me)
    upload = SimpleUploadedFile("c.csv", csv_bytes([CUSTOMERS, ["MINE", "x@example.com", ""]]))
    job = _through_the_wizard(client, "customers", upload)
    books.me.role = Role.ANALYST
    books.me.save()
    run_execute(job.run_id)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "may not import" in job.error
    assert Customer.objects.get(pk=books.mine.pk).email == "mine@example.com"
    assert Path(job.path).exists()  # the wizard keeps the file with its import
