"""Checklist templates changed in the app: validation naming the field, the order of the steps,
history, the roles, and running onboardings kept as they started (step changes apply to new
onboardings only)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from tenure.access.scopes import AccessDenied
from tenure.domain.errors import Conflict
from tenure.success import checklists
from tenure.success.models import ChecklistStep, ChecklistTemplate
from tenure.success.onboarding import onboarding_start
from tenure.success.selectors import onboarding_view
from tenure.todos.models import Task
from tenure.todos.services import task_update
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 3, 9, tzinfo=UTC)


def _titles(template: ChecklistTemplate) -> list[str]:
    return list(template.steps.order_by("position").values_list("title", flat=True))


def _refused(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


def test_a_checklist_with_its_steps_and_each_refusal_on_its_field():
    manager = make_user(role="manager")
    member = make_user(role="success_manager")
    template = checklists.checklist_template_create(
        by=manager,
        data={"name": " Enterprise ", "applies_to": "account"},
        steps=[
            {"title": "Kickoff", "days_after_start": 2},
            {"title": "Data import", "days_after_start": 7, "owner_kind": "member",
             "member_id": member.pk},
            {"title": "Review", "days_after_start": 10, "owner_kind": "role", "role": "manager"},
            {"title": "First report", "days_after_start": 30, "first_value": True},
        ],
    )  # fmt: skip
    assert template.name == "Enterprise"
    steps = list(template.steps.order_by("position"))
    assert [(s.title, s.days_after_start, s.owner_kind, s.member_id, s.role) for s in steps] == [
        ("Kickoff", 2, "owner", None, ""),
        ("Data import", 7, "member", member.pk, ""),
        ("Review", 10, "role", None, "manager"),
        ("First report", 30, "owner", None, ""),
    ]
    add = checklists.checklist_step_add
    tid = template.pk
    assert _refused(add, by=manager, template_id=tid, data={"title": "  "}) == {
        "title": ["required"]
    }
    assert _refused(add, by=manager, template_id=tid, data={"title": "X", "days_after_start": -1})[
        "days_after_start"
    ] == ["a whole number of days, 0 to 3650"]
    assert _refused(add, by=manager, template_id=tid, data={"title": "X", "owner_kind": "member"})[
        "member_id"
    ] == ["choose the team member who owns this step"]
    gone = make_user(role="manager", is_active=False)
    assert _refused(
        add, by=manager, template_id=tid,
        data={"title": "X", "owner_kind": "member", "member_id": gone.pk},
    )["member_id"] == [f"no active user with id {gone.pk}"]  # fmt: skip
    assert "role" in _refused(
        add, by=manager, template_id=tid, data={"title": "X", "owner_kind": "role", "role": "ceo"}
    )
    assert _refused(add, by=manager, template_id=tid, data={"title": "X", "first_value": True}) == {
        "first_value": ["“First report” marks first value already: one step does"]
    }
    assert _refused(add, by=manager, template_id=tid, data={"title": "X", "position": 6}) == {
        "position": ["a place from 1 to 5"]
    }
    assert _refused(add, by=manager, template_id=tid, data={"title": "X", "colour": "red"}) == {
        "colour": ["unknown field"]
    }
    # A step of a new checklist is named by its place in the list.
    nested = _refused(
        checklists.checklist_template_create, by=manager, data={"name": "Other"},
        steps=[{"title": "Fine"}, {"title": ""}],
    )  # fmt: skip
    assert nested == {"steps.1.title": ["required"]}
    assert not ChecklistTemplate.objects.filter(name="Other").exists()  # rolled back whole
    assert "name" in _refused(checklists.checklist_template_create, by=manager, data={"name": ""})
    taken = _refused(checklists.checklist_template_create, by=manager, data={"name": "Enterprise"})
    assert "already taken" in taken["name"][0]
    assert len(_titles(template)) == 4  # nothing refused was stored


def test_steps_are_added_moved_and_removed_in_order_with_history():
    admin = make_user(role="admin")
    template = checklists.checklist_template_create(
        by=admin, data={"name": "Small"}, steps=[{"title": t} for t in ("A", "B", "C")]
    )
    d = checklists.checklist_step_add(
        by=admin, template_id=template.pk, data={"title": "D", "position": 1}
    )
    assert _titles(template) == ["D", "A", "B", "C"]
    c = template.steps.get(title="C")
    checklists.checklist_step_update(by=admin, step_id=c.pk, changes={"position": 2})
    assert _titles(template) == ["D", "C", "A", "B"]
    checklists.checklist_step_update(by=admin, step_id=d.pk, changes={"position": 4})
    assert _titles(template) == ["C", "A", "B", "D"]
    checklists.checklist_step_update(by=admin, step_id=d.pk, changes={"title": "Done"})
    checklists.checklist_step_remove(by=admin, step_id=template.steps.get(title="A").pk)
    assert _titles(template) == ["C", "B", "Done"]
    # Every save wrote its history: who, and the field before and after.
    entries = LogEntry.objects.get_for_object(ChecklistStep.objects.get(pk=d.pk))
    titles = [e.changes_dict["title"] for e in entries if "title" in e.changes_dict]
    assert ["D", "Done"] in titles
    moves = [e.changes_dict["position"] for e in entries if "position" in e.changes_dict]
    assert len(moves) >= 3  # placed first, moved down by C's move, moved last
    assert LogEntry.objects.filter(
        content_type__model="checkliststep", action=LogEntry.Action.DELETE
    ).exists()


def test_only_admins_and_managers_change_checklists():
    template = checklists.checklist_template_create(by=None, data={"name": "Ops"})
    for role in ("success_manager", "analyst"):
        someone = make_user(role=role)
        with pytest.raises(AccessDenied):
            checklists.checklist_template_create(by=someone, data={"name": f"By {role}"})
        with pytest.raises(AccessDenied):
            checklists.checklist_step_add(by=someone, template_id=template.pk, data={"title": "X"})
        with pytest.raises(AccessDenied):
            checklists.checklist_template_update(
                by=someone, template_id=template.pk, changes={"active": False}
            )
    assert not ChecklistTemplate.objects.filter(name__startswith="By ").exists()
    assert not template.steps.exists()
    assert ChecklistTemplate.objects.get(pk=template.pk).active


def test_a_running_onboarding_keeps_the_steps_it_started_with():
    manager = make_user(role="manager")
    owner = make_user(role="success_manager")
    template = checklists.checklist_template_create(
        by=manager, data={"name": "Kickoff"},
        steps=[{"title": "Call", "days_after_start": 1},
               {"title": "Import", "days_after_start": 5, "first_value": True}],
    )  # fmt: skip
    first = make_account(owner=owner)
    running, _ = onboarding_start(by=None, template_id=template.pk, account_id=first.pk, now=START)
    # The checklist changes: a step added first, the first-value step renamed, the call removed.
    checklists.checklist_step_add(
        by=manager, template_id=template.pk, data={"title": "Contract", "position": 1}
    )
    imp = template.steps.get(title="Import")
    checklists.checklist_step_update(by=manager, step_id=imp.pk, changes={"title": "Data"})
    checklists.checklist_step_remove(by=manager, step_id=template.steps.get(title="Call").pk)

    # Asked again (a retry, a redelivered event): nothing is added to the running one.
    again, new = onboarding_start(by=None, template_id=template.pk, account_id=first.pk, now=START)
    assert (again.pk, new) == (running.pk, False)
    assert sorted(Task.objects.filter(account=first).values_list("title", flat=True)) == [
        "Call",
        "Import",
    ]
    view = onboarding_view(running, date(2025, 3, 5))
    # Its two tasks: the call (its step gone: shown by its task) and the import (still first
    # value); the call was due on 4 March: overdue on the 5th.
    assert [(s.title, s.first_value, s.overdue) for s in view.steps] == [
        ("Import", True, False),
        ("Call", False, True),
    ]
    call = Task.objects.get(account=first, title="Call")
    task_update(by=None, task_id=call.pk, changes={"status": "cancelled"})  # skipped
    view = onboarding_view(running, date(2025, 3, 5))
    assert (view.done, view.skipped, view.total, view.percent, view.overdue) == (0, 1, 2, 50, 0)

    # A new onboarding gets the checklist as it is now.
    second = make_account(owner=owner)
    onboarding_start(by=None, template_id=template.pk, account_id=second.pk, now=START)
    assert sorted(Task.objects.filter(account=second).values_list("title", flat=True)) == [
        "Contract",
        "Data",
    ]

    # What would change the meaning of a running onboarding is refused.
    refused = _refused(
        checklists.checklist_template_update, by=manager, template_id=template.pk,
        changes={"applies_to": "customer"},
    )  # fmt: skip
    assert refused == {"applies_to": ["its onboardings are running: make a new checklist instead"]}
    with pytest.raises(Conflict, match="has 2 onboardings: deactivate it instead"):
        checklists.checklist_template_delete(by=manager, template_id=template.pk)
    spare = checklists.checklist_template_create(by=manager, data={"name": "Spare"})
    checklists.checklist_template_delete(by=manager, template_id=spare.pk)
    assert not ChecklistTemplate.objects.filter(name="Spare").exists()


def test_the_admin_shows_checklists_and_leaves_their_writes_to_the_services(client):
    admin = make_user(role="admin", is_staff=True)
    template = checklists.checklist_template_create(
        by=admin, data={"name": "Small"}, steps=[{"title": "A"}]
    )
    client.force_login(admin)
    change = reverse("admin:success_checklisttemplate_change", args=[template.pk])
    assert client.get(change).status_code == 200  # read
    assert client.get(reverse("admin:success_checklisttemplate_add")).status_code == 403
    sent = client.post(change, {"name": "Renamed", "applies_to": "", "active": "on"})
    assert sent.status_code == 403
    delete = reverse("admin:success_checklisttemplate_delete", args=[template.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    template.refresh_from_db()
    assert (template.name, _titles(template)) == ("Small", ["A"])
