"""The accounts list's bulk bar, its cells edited in place and Undo, through the pages
(Django's client, the real database: SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.customers.models import Account
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.users.models import Role
from tests.factories import make_account, make_user
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def _cell(account: Account, name: str) -> str:
    return reverse("web:account-cell", args=[account.pk, name])


def test_the_list_shows_the_bar_checkboxes_and_cells(client):
    client.force_login(make_user(role=Role.MANAGER))
    account = make_account(name="Acme", industry="retail")
    page = client.get(reverse("web:accounts")).content.decode()
    assert 'id="bulk-form"' in page and reverse("web:accounts-bulk") in page
    assert f'name="ids" value="{account.pk}" form="bulk-form"' in page
    assert _cell(account, "industry") in page and _cell(account, "size_band") in page


def test_a_cell_refuses_a_bad_value_in_the_cell_then_saves_and_is_undone(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    account = make_account(size_band="1-10")
    opened = client.get(_cell(account, "size_band"), **HTMX).content.decode()
    assert "data-cell-input" in opened and 'value="1-10" selected' in opened
    refused = client.post(_cell(account, "size_band"), {"size_band": "huge"}, **HTMX)
    body = refused.content.decode()
    assert refused.status_code == 200 and "Select a valid choice" in body
    assert 'aria-invalid="true"' in body and 'role="alert"' in body
    saved = client.post(_cell(account, "size_band"), {"size_band": "51-200"}, **HTMX)
    body = saved.content.decode()
    assert "51-200" in body and 'id="undo-toast" hx-swap-oob="innerHTML"' in body
    assert Account.objects.get(pk=account.pk).size_band == "51-200"
    change_set = ChangeSet.objects.get(author=manager)
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX).content.decode()
    assert "Undone" in undone and f'id="account-cell-{account.pk}-size_band"' in undone
    assert Account.objects.get(pk=account.pk).size_band == "1-10"


def test_an_owner_cell_refuses_an_unknown_person(client):
    admin = make_user(role=Role.ADMIN, first_name="Ann", last_name="Admin")
    client.force_login(admin)
    account = make_account()
    assert "Ann Admin" in client.get(_cell(account, "owner"), **HTMX).content.decode()
    refused = client.post(_cell(account, "owner"), {"owner": "999999"}, **HTMX).content.decode()
    assert "Select a valid choice" in refused and Account.objects.get(pk=account.pk).owner is None
    client.post(_cell(account, "owner"), {"owner": str(admin.pk)}, **HTMX)
    assert Account.objects.get(pk=account.pk).owner_id == admin.pk


def test_an_analyst_is_refused_on_the_bar_and_the_cell(client):
    client.force_login(make_user(role=Role.ANALYST))
    account = make_account(industry="x")
    page = client.get(reverse("web:accounts")).content.decode()
    assert "Apply to chosen" not in page and _cell(account, "industry") not in page
    assert client.post(_cell(account, "industry"), {"industry": "y"}, **HTMX).status_code == 403
    # Opening a cell shows the value only.
    assert "data-cell-input" not in client.get(_cell(account, "industry"), **HTMX).content.decode()
    posted = client.post(reverse("web:accounts-bulk"), {"all": "1", "operation": "delete"}, **HTMX)
    assert posted.status_code == 403 and not Run.objects.exists()
    assert Account.objects.get(pk=account.pk).industry == "x"


def test_the_bar_sets_a_band_on_the_filtered_rows_and_shows_the_counts(client):
    client.force_login(make_user(role=Role.MANAGER))
    chosen = [make_account(industry="retail") for _ in range(3)]
    other = make_account(industry="food")
    started = client.post(
        reverse("web:accounts-bulk"),
        {"all": "1", "query": "industry=retail", "operation": "budget_band",
         "budget_band": "high"},
        **HTMX,
    )  # fmt: skip
    assert started.status_code == 200, started.content
    run = Run.objects.get(kind="bulk.accounts")
    assert reverse("web:accounts-bulk-run", args=[run.pk]) in started.content.decode()
    run_execute(run.pk)
    card = client.get(reverse("web:accounts-bulk-run", args=[run.pk]), **HTMX).content.decode()
    assert "Finished: 3 changed, 0 unchanged, 0 refused." in card
    assert {a.budget_band for a in Account.objects.filter(pk__in=[a.pk for a in chosen])} == {
        "high"
    }
    assert Account.objects.get(pk=other.pk).budget_band == ""
    page = client.get(reverse("web:accounts-bulk-run", args=[run.pk])).content.decode()
    assert "chosen accounts" in page


def test_a_bad_band_and_no_rows_are_refused_in_words(client):
    client.force_login(make_user(role=Role.MANAGER))
    account = make_account()
    bad = client.post(
        reverse("web:accounts-bulk"),
        {"ids": [str(account.pk)], "operation": "size_band", "size_band": "huge"},
    )
    assert bad.status_code == 422 and "value" in bad.content.decode()
    empty = client.post(reverse("web:accounts-bulk"), {"operation": "industry", "value": "x"})
    assert empty.status_code == 422 and "choose at least one account" in empty.content.decode()
    assert not Run.objects.exists()


def test_export_of_the_chosen_accounts_is_neutralised_and_scoped(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(sam)
    mine = make_account(owner=sam, name="=HYPERLINK(1)")
    theirs = make_account(name="Theirs")
    response = client.get(
        reverse("web:accounts-bulk-export"), {"ids": [str(mine.pk), str(theirs.pk)]}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["id", "name"]
    assert rows[1:] == [[str(mine.pk), "'=HYPERLINK(1)", "", "", "", "", sam.username, rows[1][7]]]
