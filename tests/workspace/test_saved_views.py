"""Saved list views: who may save, share, make a role's default, change and delete them, on
every path (service, page, API); a query its list refuses is named by filter; a role's default
opens the bare list; history kept."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from tenure.access.scopes import AccessDenied
from tenure.users.models import Role
from tenure.workspace.models import SavedView
from tenure.workspace.selectors import saved_view_default, saved_view_list
from tenure.workspace.services import (
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)
from tests.api.helpers import Api
from tests.factories import make_user

pytestmark = pytest.mark.django_db

RED_AT_RISK = "stage=at_risk&health=red&cols=name%2Cstage%2Chealth"


def _view(owner, **fields):
    fields.setdefault("list_name", "customers")
    fields.setdefault("name", "Red at risk")
    fields.setdefault("querystring", RED_AT_RISK)
    return saved_view_create(by=owner, **fields)


# --- the role table: every role x every write --------------------------------------------------

ROLES = [Role.ADMIN, Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_keeps_private_views(role):
    user = make_user(role=role)
    view = _view(user)
    assert (view.owner, view.shared, view.querystring) == (user, False, RED_AT_RISK)
    assert list(saved_view_list(user=user, list_name="customers")) == [view]
    renamed = saved_view_update(by=user, view_id=view.pk, changes={"name": "Mine"})
    assert renamed.name == "Mine"
    saved_view_delete(by=user, view_id=view.pk)
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("role", "may_share", "may_default"),
    [
        (Role.ADMIN, True, True),
        (Role.MANAGER, True, True),
        (Role.SUCCESS_MANAGER, True, False),
        (Role.ANALYST, False, False),
    ],
)
def test_sharing_and_role_defaults_by_role(role, may_share, may_default):
    user = make_user(role=role)
    if may_share:
        assert _view(user, shared=True).shared
    else:
        with pytest.raises(AccessDenied):
            _view(user, shared=True)
    if may_default:
        view = _view(user, default_for_role=Role.SUCCESS_MANAGER)
        assert view.shared  # a role's default is seen by the role
    else:
        with pytest.raises(AccessDenied, match="only admins and managers"):
            _view(user, default_for_role=Role.SUCCESS_MANAGER)
        own = _view(user, name="private")
        with pytest.raises(AccessDenied):
            saved_view_update(by=user, view_id=own.pk, changes={"default_for_role": "analyst"})
    assert SavedView.objects.filter(default_for_role="").count() >= 1 or may_default


def test_only_the_owner_or_a_role_over_all_changes_a_shared_view():
    sam, kim = make_user(role=Role.SUCCESS_MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    analyst = make_user(role=Role.ANALYST)
    shared = _view(sam, shared=True)
    private = _view(sam, name="private")
    assert list(saved_view_list(user=kim)) == [shared]  # another's private view is not seen
    assert list(saved_view_list(user=analyst)) == [shared]
    for stranger in (kim, analyst):
        with pytest.raises(Http404):
            saved_view_update(by=stranger, view_id=shared.pk, changes={"name": "taken"})
        with pytest.raises(Http404):
            saved_view_delete(by=stranger, view_id=private.pk)
    for boss in (make_user(role=Role.MANAGER), make_user(role=Role.ADMIN)):
        assert saved_view_update(by=boss, view_id=shared.pk, changes={"name": "Fixed"}).pk
    assert SavedView.objects.get(pk=shared.pk).name == "Fixed"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("list_name", "query", "named"),
    [
        ("customers", "health=purple", "health:"),
        ("customers", "shoe_size=44", "shoe_size: not a filter of the customers list"),
        ("customers", "churn_risk_min=3", "churn_risk_min:"),
        ("customers", "cols=name,nope", "cols: no column 'nope'"),
        ("accounts", "stage=at_risk", "stage: not a filter of the accounts list"),
        ("orders", "status=lost", "status:"),
        ("tasks", "view=someday", "view:"),
        ("tasks", "cols=name", "cols: no column 'name'"),
        ("orders", "cols=order,placed,lines", "cols: no column 'lines'"),
    ],
)
def test_a_refused_filter_is_named_before_anything_is_saved(list_name, query, named):
    with pytest.raises(ValidationError) as refused:
        _view(make_user(), list_name=list_name, querystring=query)
    assert any(reason.startswith(named) for reason in refused.value.message_dict["querystring"])
    assert not SavedView.objects.exists()


def test_the_page_and_empty_values_are_not_kept_and_a_name_is_needed():
    view = _view(make_user(), querystring="?stage=new&stage=loyal&health=&page=3&saved=9")
    assert view.querystring == "stage=new&stage=loyal"
    with pytest.raises(ValidationError) as refused:
        _view(make_user(), name="  ")
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        _view(make_user(), list_name="invoices")


# --- one default per role and list ------------------------------------------------------------


def test_a_new_default_for_a_role_releases_the_previous_one_and_a_bare_list_opens_it(client):
    manager, sam = make_user(role=Role.MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    first = _view(manager, name="First", default_for_role=Role.SUCCESS_MANAGER)
    second = _view(
        manager, name="Second", querystring="health=red", default_for_role="success_manager"
    )
    first.refresh_from_db()
    assert (first.default_for_role, second.default_for_role) == ("", "success_manager")
    assert saved_view_default(user=sam, list_name="customers") == second
    assert saved_view_default(user=manager, list_name="customers") is None
    client.force_login(sam)
    opened = client.get(reverse("web:customers"))
    assert opened.status_code == 302
    assert opened["Location"] == f"{reverse('web:customers')}?health=red&saved={second.pk}"
    assert client.get(reverse("web:customers"), {"q": ""}).status_code == 200  # "Reset"
    with pytest.raises(ValidationError, match="clear the default first"):
        saved_view_update(by=manager, view_id=second.pk, changes={"shared": False})


def test_history_keeps_each_change():
    user = make_user(role=Role.MANAGER)
    view = _view(user)
    saved_view_update(by=user, view_id=view.pk, changes={"name": "Renamed", "shared": True})
    entries = LogEntry.objects.get_for_object(view).order_by("timestamp", "pk")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries.last().changes_dict["name"] == ["Red at risk", "Renamed"]


# --- the web pages ---------------------------------------------------------------------------


def test_the_menu_saves_the_current_list_and_reopens_it(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(sam)
    page = client.get(reverse("web:customers"), {"stage": "at_risk", "health": "red", "page": 2})
    assert 'name="querystring" value="stage=at_risk&amp;health=red"' in page.content.decode()
    saved = client.post(
        reverse("web:saved-view-new"),
        {"list": "customers", "name": "Red at risk", "querystring": "stage=at_risk&health=red"},
    )
    view = SavedView.objects.get()
    assert saved["Location"] == f"/customers/?stage=at_risk&health=red&saved={view.pk}"
    menu = client.get(saved["Location"]).content.decode()
    assert "View: Red at risk" in menu and 'aria-current="page"' in menu
    changed = client.post(
        reverse("web:saved-view-change", args=[view.pk]),
        {"name": "Reds", "shared": "on", "keep_query": "on", "querystring": "health=red"},
    )
    assert changed.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.shared, view.querystring) == ("Reds", True, "health=red")
    gone = client.post(reverse("web:saved-view-delete", args=[view.pk]), {"querystring": ""})
    assert gone.status_code == 302 and not SavedView.objects.exists()


def test_the_pages_refuse_by_role_and_name_the_refused_filter(client):
    analyst = make_user(role=Role.ANALYST)
    client.force_login(analyst)
    body = {"list": "customers", "name": "Mine", "querystring": "health=red"}
    assert client.post(reverse("web:saved-view-new"), body).status_code == 302
    refused = client.post(reverse("web:saved-view-new"), {**body, "default_for_role": "analyst"})
    assert refused.status_code == 403
    assert client.post(reverse("web:saved-view-new"), {**body, "shared": "on"}).status_code == 403
    bad = client.post(reverse("web:saved-view-new"), {**body, "querystring": "health=purple"})
    assert bad.status_code == 422
    assert "<strong>querystring</strong>: health:" in bad.content.decode()
    other = _view(make_user(role=Role.SUCCESS_MANAGER))  # private: not seen
    url = reverse("web:saved-view-delete", args=[other.pk])
    assert client.post(url).status_code == 404
    assert SavedView.objects.filter(owner=analyst).count() == 1


@pytest.mark.parametrize("name", ["accounts", "tasks"])
def test_the_other_lists_have_the_menu_and_open_their_default(client, name):
    manager, sam = make_user(role=Role.MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    query = "health=red" if name == "accounts" else "view=overdue"
    view = _view(manager, list_name=name, querystring=query, default_for_role="success_manager")
    client.force_login(sam)
    opened = client.get(reverse(f"web:{name}"))
    assert opened["Location"] == f"/{name}/?{query}&saved={view.pk}"
    page = client.get(opened["Location"]).content.decode()
    assert "View: Red at risk" in page


# --- the API ---------------------------------------------------------------------------------


def test_the_api_crud_under_the_same_roles(client):
    api = Api(client, role=Role.SUCCESS_MANAGER)
    made = api.post("/views", {"list": "customers", "name": "Reds", "querystring": "health=red"})
    assert made.status_code == 201, made.content
    view_id = made.json()["id"]
    assert api.get("/views", list="customers").json()["items"][0]["querystring"] == "health=red"
    assert api.patch(f"/views/{view_id}", {"shared": True}).json()["shared"] is True
    refused = api.patch(f"/views/{view_id}", {"default_for_role": "analyst"})
    assert refused.status_code == 403
    bad = api.post("/views", {"list": "customers", "name": "x", "querystring": "health=blue"})
    assert bad.status_code == 422 and "health" in bad.content.decode()
    analyst = Api(client, role=Role.ANALYST)
    assert analyst.get(f"/views/{view_id}").status_code == 200  # shared
    assert analyst.patch(f"/views/{view_id}", {"name": "mine"}).status_code == 404
    assert analyst.delete(f"/views/{view_id}").status_code == 404
    mine = analyst.post("/views", {"list": "tasks", "name": "Late", "querystring": "view=overdue"})
    assert mine.status_code == 201
    shared = {"list": "tasks", "name": "Late", "shared": True}
    assert analyst.post("/views", shared).status_code == 403
    manager = Api(client, role=Role.MANAGER)
    as_default = manager.patch(f"/views/{view_id}", {"default_for_role": "success_manager"})
    assert as_default.json()["default_for_role"] == "success_manager"
    cleared = manager.patch(f"/views/{view_id}", {"default_for_role": None})
    assert cleared.json()["default_for_role"] == ""
    assert api.delete(f"/views/{view_id}").status_code == 204
    assert api.get(f"/views/{view_id}").status_code == 404


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_saves_through_the_services_and_names_a_refused_filter(client):
    admin_user = make_user(role=Role.ADMIN)
    client.force_login(admin_user)
    add = reverse("admin:workspace_savedview_add")
    form = {"list": "customers", "name": "Reds", "querystring": "health=red", "shared": "on",
            "default_for_role": ""}  # fmt: skip
    refused = client.post(add, {**form, "querystring": "health=purple"})
    assert refused.status_code == 200 and "health:" in refused.content.decode()
    assert not SavedView.objects.exists()
    assert client.post(add, form).status_code == 302
    view = SavedView.objects.get()
    assert (view.owner, view.querystring, view.shared) == (admin_user, "health=red", True)
    change = reverse("admin:workspace_savedview_change", args=[view.pk])
    form = {"name": "Reds", "querystring": "stage=at_risk", "shared": "on",
            "default_for_role": "success_manager"}  # fmt: skip
    assert client.post(change, form).status_code == 302
    view.refresh_from_db()
    assert (view.querystring, view.default_for_role) == ("stage=at_risk", "success_manager")
    assert LogEntry.objects.get_for_object(view).count() == 2
