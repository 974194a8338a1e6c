"""The change history on the account and order pages, as on the customer page: who changed
which field from what to what, escaped; and only on pages the user may see."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor

from tenure.customers.services import account_team_set, account_update
from tenure.orders.services import order_update
from tenure.users.models import Role
from tenure.web.templatetags.tenure_web import or_dash
from tests.factories import make_account, make_customer, make_order, make_user


def _history(page: bytes) -> str:
    text = page.decode()
    return text[text.index('id="history"') :]


def test_the_account_page_shows_its_history_escaped(signed_in, manager):
    account = make_account(name="Acme", industry="retail")
    teammate = make_user(username="tess", first_name="Tess", last_name="<i>Mate</i>")
    with set_actor(manager):
        account_update(by=manager, account_id=account.pk, changes={"industry": "<b>energy</b>"})
        account_team_set(by=manager, account_id=account.pk, user_ids=[teammate.pk])
    history = _history(signed_in.get(f"/accounts/{account.pk}/").content)
    assert "Update by mia" in history
    assert "industry: retail → &lt;b&gt;energy&lt;/b&gt;" in history
    assert "team: added Tess &lt;i&gt;Mate&lt;/i&gt;" in history
    assert "<b>" not in history and "<i>" not in history


def test_the_order_page_shows_its_history_escaped(signed_in, manager):
    order = make_order(customer=make_customer(), currency="USD")
    with set_actor(manager):
        order_update(by=manager, order_id=order.pk, changes={"status": "refunded"})
    history = _history(signed_in.get(f"/orders/{order.pk}/").content)
    assert "Update by mia" in history
    assert "status: completed → refunded" in history
    assert "Create by" in history  # the order's creation, by the test factory (no actor)


def test_a_change_without_a_signed_in_actor_is_named_as_such(signed_in):
    account = make_account(name="Quiet")  # created outside any request: no actor
    history = _history(signed_in.get(f"/accounts/{account.pk}/").content)
    assert "Create by the command line" in history
    assert "No recorded changes." not in history


@pytest.mark.django_db
def test_another_owner_s_history_stays_hidden(client):
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    theirs = make_order(customer=make_customer(owner=make_user()))
    client.force_login(success_manager)
    assert client.get(f"/orders/{theirs.pk}/").status_code == 404
    assert client.get(f"/accounts/{make_account(owner=make_user()).pk}/").status_code == 404


def test_a_false_or_zero_value_is_shown_not_dashed():
    assert [or_dash(v) for v in (None, "", False, 0, "x")] == ["—", "—", False, 0, "x"]


@pytest.mark.django_db
def test_a_creation_lists_the_records_own_fields_not_its_related_records():
    from tenure.customers.models import Customer
    from tenure.customers.services import customer_create
    from tenure.history.selectors import history_entry_view, history_of

    customer = customer_create(external_id="H-1", first_name="Ada")
    changes = history_entry_view(history_of(record=customer)[0])["changes"]
    assert changes["first_name"][1] == "Ada"
    own = {field.name for field in Customer._meta.concrete_fields} | {"team"}
    assert set(changes) <= own, set(changes) - own  # no "orders", "tasks", "prediction", ...
