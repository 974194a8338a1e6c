"""The role policy, and its application to querysets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tenure.access import AccessDenied, get_visible_or_404, may, require, visible
from tenure.customers.models import Account, Contact, Customer
from tenure.domain.access import POLICY, Action, Role, scope_of
from tenure.interactions.models import Interaction
from tenure.orders.models import Order
from tests.factories import T0, make_account, make_customer, make_order, make_user


def test_policy_table():
    assert {role: may_ for role, may_ in ((r, scope_of(r, Action.CHANGE)) for r in Role)} == {
        Role.ADMIN: "all",
        Role.MANAGER: "all",
        Role.SUCCESS_MANAGER: "own",
        Role.ANALYST: None,
    }
    assert [r for r in Role if scope_of(r, Action.ADMINISTER)] == [Role.ADMIN]
    assert all(scope_of(r, Action.VIEW) for r in Role)
    assert set(POLICY) == set(Role)


def test_an_unknown_role_may_do_nothing():
    assert scope_of("boss", Action.VIEW) is None
    assert scope_of("", Action.VIEW) is None


@pytest.fixture
def book(db):
    """Two success managers with their own records, and one shared through an account team."""
    sm1 = make_user(role=Role.SUCCESS_MANAGER, username="sm1")
    sm2 = make_user(role=Role.SUCCESS_MANAGER, username="sm2")
    acme = make_account(name="Acme", owner=sm2)
    acme.team.add(sm1)
    own = make_customer(external_id="OWN", owner=sm1)
    teamed = make_customer(external_id="TEAMED", owner=sm2)
    teamed.team.add(sm1)
    via_account = make_customer(external_id="VIA-ACCOUNT", owner=sm2, account=acme)
    other = make_customer(external_id="OTHER", owner=sm2)
    for customer in (own, teamed, via_account, other):
        make_order(customer=customer, external_id=f"O-{customer.external_id}")
        Interaction.objects.create(customer=customer, kind="note", occurred_at=T0, body="hi")
    Contact.objects.create(account=acme, first_name="Wile")
    make_account(name="Globex", owner=sm2)
    return {"sm1": sm1, "sm2": sm2, "other": other}


def test_success_manager_sees_own_team_and_account_records_only(book):
    sm1 = book["sm1"]
    assert sorted(visible(sm1, Customer).values_list("external_id", flat=True)) == [
        "OWN",
        "TEAMED",
        "VIA-ACCOUNT",
    ]
    assert sorted(visible(sm1, Order).values_list("external_id", flat=True)) == [
        "O-OWN",
        "O-TEAMED",
        "O-VIA-ACCOUNT",
    ]
    assert visible(sm1, Interaction).count() == 3
    assert list(visible(sm1, Account).values_list("name", flat=True)) == ["Acme"]
    assert visible(sm1, Contact).count() == 1
    # An aggregate over the visible set counts no one else's customers.
    assert visible(sm1, Customer).count() == 3


def test_visible_has_no_duplicates_when_several_paths_lead_to_a_record(book):
    sm1 = book["sm1"]
    shared = Customer.objects.get(external_id="VIA-ACCOUNT")
    shared.team.add(sm1)
    shared.owner = sm1
    shared.save()
    assert visible(sm1, Customer).filter(external_id="VIA-ACCOUNT").count() == 1


def test_guessing_an_id_finds_nothing(book):
    with pytest.raises(Http404):
        get_visible_or_404(book["sm1"], Customer, pk=book["other"].pk)
    assert get_visible_or_404(book["sm2"], Customer, pk=book["other"].pk) == book["other"]


def test_analyst_sees_all_and_may_change_nothing(book):
    analyst = make_user(role=Role.ANALYST)
    assert visible(analyst, Customer).count() == 4
    assert visible(analyst, Customer, Action.CHANGE).count() == 0
    assert not may(analyst, Action.CHANGE)
    with pytest.raises(AccessDenied):
        require(analyst, Action.CHANGE)
    with pytest.raises(AccessDenied):
        get_visible_or_404(analyst, Customer, Action.CHANGE, pk=book["other"].pk)


def test_manager_and_admin_see_and_change_everything(book):
    for role in (Role.MANAGER, Role.ADMIN):
        user = make_user(role=role)
        assert visible(user, Customer, Action.CHANGE).count() == 4
        assert visible(user, Order).count() == 4


def test_anonymous_and_inactive_users_see_nothing(book):
    assert visible(AnonymousUser(), Customer).count() == 0
    inactive = make_user(role=Role.ADMIN, is_active=False)
    assert visible(inactive, Customer).count() == 0


def test_django_flags_follow_the_role(db):
    user = make_user(role=Role.ANALYST)
    assert (user.is_staff, user.is_superuser) == (False, False)
    user.role = Role.ADMIN
    user.save(update_fields=["role"])
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, True)
    user.role = Role.MANAGER
    user.save()
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)


def test_admin_site_follows_the_policy(client, db):
    customer = make_customer(external_id="ADMIN-SEEN")
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    listing = client.get("/admin/customers/customer/")
    assert listing.status_code == 200
    assert b"ADMIN-SEEN" in listing.content
    assert client.get(f"/admin/customers/customer/{customer.pk}/change/").status_code == 200
    assert client.get("/admin/users/user/").status_code == 403  # users are for admins only
    client.force_login(make_user(role=Role.ADMIN))
    assert client.get("/admin/users/user/").status_code == 200
    client.force_login(make_user(role=Role.ANALYST))
    assert client.get("/admin/").status_code == 302  # not staff: sent to the login page
