"""`tenure playbooks`: list, show, enable (refused with the reason), disable, run-due."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.main import cli, register_commands
from tenure.mail.models import Template
from tenure.playbooks.builtin import playbooks_builtin_ensure
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Enrollment, Playbook
from tenure.playbooks.services import definition_of, playbook_create
from tenure.todos.models import Task
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_list_show_switch_and_run_due():
    playbooks_builtin_ensure()
    listed = run("playbooks", "list")
    assert listed.exit_code == 0 and "welcome-series" in listed.output and " off " in listed.output
    welcome = Playbook.objects.get(builtin="welcome")
    Template.objects.filter(slug="welcome-introduction").delete()
    refused = run("playbooks", "enable", str(welcome.pk))
    assert refused.exit_code == 1
    assert 'steps[0].template: no email template "welcome-introduction"' in refused.output
    playbook = playbook_create(by=None, data={
        "name": "Call", "slug": "call", "trigger": {"type": "event", "kind": "order.placed"},
        "steps": [{"kind": "task", "title": "Call {customer}"}],
    })  # fmt: skip
    on = run("playbooks", "enable", str(playbook.pk))
    assert on.exit_code == 0 and on.output.strip() == "call: on"
    now = timezone.now()
    customer = make_customer(owner=make_user())
    enrol(playbook, definition_of(playbook), [Candidate(customer.pk, "x", now)], now)
    due = run("playbooks", "run-due")
    assert "steps run for 1 enrolments" in due.output
    assert Task.objects.get().customer_id == customer.pk
    assert Enrollment.objects.get().status == "completed"
    shown = run("playbooks", "show", str(playbook.pk))
    assert "step 0: task           entered 1, done 1" in shown.output
    off = run("playbooks", "disable", str(playbook.pk))
    assert off.output.strip() == "call: off"
